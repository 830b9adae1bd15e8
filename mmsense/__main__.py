"""Command line: ``python -m mmsense demo``."""

import argparse

from ._demo import run_demo


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m mmsense")
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser(
        "demo", help="fit every estimator on synthetic tri-modal data and print the MSA report"
    )
    demo.add_argument("--n-samples", type=int, default=600)
    demo.add_argument("--max-epochs", type=int, default=10)
    demo.add_argument("--labelled-fraction", type=float, default=0.3)
    demo.add_argument("--random-state", type=int, default=0)
    args = parser.parse_args(argv)
    run_demo(args.n_samples, args.max_epochs, args.labelled_fraction, args.random_state)


if __name__ == "__main__":
    main()
