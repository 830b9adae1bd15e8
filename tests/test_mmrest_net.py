"""The net's length-bucketed training batches."""

import numpy as np
import torch

from mmsense.mmrest._net import LengthBuckets


def test_length_buckets_cover_every_row_once_with_similar_lengths():
    torch.manual_seed(0)
    lengths = np.random.RandomState(0).randint(1, 500, size=300)
    sampler = LengthBuckets(lengths, batch_size=32, jitter=0.0)
    batches = list(sampler)
    assert len(batches) == len(sampler) == 10
    assert sorted(i for b in batches for i in b) == list(range(300))
    # without jitter each batch is a contiguous run of the sorted lengths
    spans = sorted((lengths[b].min(), lengths[b].max()) for b in batches)
    for (_, high), (low, _) in zip(spans, spans[1:]):
        assert high <= low
    # a random batch of 32 spans most of the range; a bucket a tenth of it
    assert np.mean([lengths[b].max() - lengths[b].min() for b in batches]) < 80


def test_length_buckets_vary_between_epochs_and_are_seeded():
    lengths = np.arange(100)
    torch.manual_seed(1)
    sampler = LengthBuckets(lengths, batch_size=10, jitter=0.1)
    first, second = list(sampler), list(sampler)
    assert first != second  # batch order and composition change between epochs
    torch.manual_seed(1)
    assert list(LengthBuckets(lengths, batch_size=10, jitter=0.1)) == first


def test_decision_fusion_is_the_paper_s_1x1_convolutions():
    from mmsense.mmrest._modules import DecisionFusion

    torch.manual_seed(0)
    fusion = DecisionFusion(3, 8, 5).eval()
    shared = torch.randn(20, 3, 8)
    present = torch.rand(20, 3) > 0.3
    # the branch as Conv1d layers over length-1 sequences, computed independently
    blocks = [torch.relu(conv(shared[:, m, :, None])) * present[:, m, None, None]
              for m, conv in enumerate(fusion.modality_convs)]
    fused = fusion.fusion_conv(torch.cat(blocks, dim=1)).squeeze(-1)
    expected = fusion.mlp(fused).squeeze(-1)
    torch.testing.assert_close(fusion(shared, present), expected)
