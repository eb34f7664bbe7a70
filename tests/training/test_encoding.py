import numpy as np
import scipy.sparse

import models
from training.encoding import EncodingCache, encode_rows


def test_cache_encodes_once_per_encoder_config_and_matches_the_pipeline(parts):
    spec, xt, yt, xv, _ = parts
    cache = EncodingCache(xt, yt, xv)
    first = cache.get(models.make_pipeline("scorecard", {"n_bins": 4, "C": 0.1}, spec=spec))
    same = cache.get(models.make_pipeline("scorecard", {"n_bins": 4, "C": 5.0}, spec=spec))
    other = cache.get(models.make_pipeline("scorecard", {"n_bins": 6}, spec=spec))
    assert same is first and other is not first
    assert scipy.sparse.issparse(first.train) and scipy.sparse.issparse(first.valid)
    pipe = models.make_pipeline("scorecard", {"n_bins": 4}, spec=spec)
    encoder = pipe[0].fit(xt, yt)
    np.testing.assert_array_equal(first.valid.toarray(), encoder.transform(xv))
    lgbm = cache.get(models.make_pipeline("lgbm", {"num_leaves": 7}, spec=spec))
    assert isinstance(lgbm.train, np.ndarray) and lgbm.valid.shape[0] == len(xv)


def test_chunked_sparse_rows_equal_the_dense_transform(parts, monkeypatch):
    spec, xt, yt, _, _ = parts
    monkeypatch.setattr("training.encoding.CHUNK_ROWS", 7)
    encoder = models.make_pipeline("scorecard", {}, spec=spec)[0].fit(xt, yt)
    rows = encode_rows(encoder, xt, sparse=True)
    np.testing.assert_array_equal(rows.toarray(), encoder.transform(xt))
    assert encode_rows(encoder, xt.head(0), sparse=True).shape[0] == 0
