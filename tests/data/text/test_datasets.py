"""Tests for vaekit.data.text.datasets: lines of text as token sequences."""


from vaekit.config import DataConfig
from vaekit.data.registry import load_dataset


def test_shakespeare_chars(shared_data):
    data = load_dataset("shakespeare", config=DataConfig(name="shakespeare", max_len=40))
    assert data.kind == "text" and data.pad_token == 0
    assert data.input_shape == (42,)
    assert data.vocab_json["level"] == "char"
    assert int(data.train.x[:, 0].unique()) == 1  # every line starts with <bos>
    assert len(data.train) > 9 * len(data.test) * 0.9
