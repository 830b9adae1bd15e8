"""Datasets: synthetic multimodal sentiment data and loaders for the standard MSA formats."""

from ._csd import load_cmu_sdk, load_csd_labels, read_computational_sequence
from ._fetch import RemoteFile, fetch_cmu_mosi_labels, fetch_file, fetch_msa_transcripts
from ._folds import load_standard_folds
from ._mmsa import load_mmsa_pickle
from ._mult import load_mult_pickle
from ._npz import load_dataset, save_dataset
from ._paths import clear_data_home, get_data_home
from ._synthetic import make_multimodal_sentiment
from ._transcripts import load_msa_label_csv, load_msa_transcripts

__all__ = [
    "make_multimodal_sentiment",
    "load_msa_transcripts",
    "load_msa_label_csv",
    "load_standard_folds",
    "load_csd_labels",
    "load_cmu_sdk",
    "read_computational_sequence",
    "load_mmsa_pickle",
    "load_mult_pickle",
    "fetch_msa_transcripts",
    "fetch_cmu_mosi_labels",
    "fetch_file",
    "RemoteFile",
    "get_data_home",
    "clear_data_home",
    "save_dataset",
    "load_dataset",
]
