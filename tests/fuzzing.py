"""Shared hypothesis strategies for the fuzz tests (importable: pytest puts tests/ on the
path, see pyproject.toml)."""

from __future__ import annotations

from hypothesis import strategies as st


def mutations(seeds: list[bytes]) -> st.SearchStrategy[bytes]:
    """Random bytes, and valid files with bytes overwritten, cut short or spliced."""

    @st.composite
    def mutate(draw) -> bytes:
        data = bytearray(draw(st.sampled_from(seeds)))
        for _ in range(draw(st.integers(0, 8))):
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
        if draw(st.booleans()):
            data = data[: draw(st.integers(0, len(data)))]
        if draw(st.booleans()):
            at = draw(st.integers(0, len(data)))
            data[at:at] = draw(st.binary(max_size=16))
        return bytes(data)

    return st.one_of(st.binary(max_size=4000), mutate())
