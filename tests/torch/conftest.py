import pytest

torch = pytest.importorskip("torch")

# The suite runs with `pytest -n 2` on 2 cores: intra-op threads only add contention, and on
# a loaded machine torch's OpenMP pool makes tiny ops (log_softmax on a 6x5 tensor) ~5000x
# slower (16 ms instead of 3 us), which dominates gradcheck.
torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
