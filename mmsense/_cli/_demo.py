"""``mmsense demo``: fit every estimator on synthetic tri-modal data and print the MSA table."""

from . import add_parser


def register(subparsers):
    demo = add_parser(
        subparsers, "demo",
        help="fit every estimator on synthetic tri-modal data and print the MSA report",
    )
    demo.add_argument("--n-samples", type=int, default=600, help="rows of synthetic data")
    demo.add_argument("--max-epochs", type=int, default=10, help="epochs per neural estimator")
    demo.add_argument("--labeled-fraction", type=float, default=0.3,
                      help="fraction of labels the semi-supervised classifiers see")
    demo.add_argument("--random-state", type=int, default=0, help="seed of data and models")
    demo.add_argument("--verbose", type=int, default=1,
                      help="progress: 0 silent, 1 a line per epoch, 2 more detail")
    demo.set_defaults(run=_run)


def _run(args):
    from .._demo import run_demo

    run_demo(args.n_samples, args.max_epochs, args.labeled_fraction, args.random_state,
             verbose=args.verbose)
