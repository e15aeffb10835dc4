"""The disk spool: one atomic file per batch, arrival order, a size limit, rejected batches set aside."""

import pytest

from op_trading.storage.spool import Spool, SpoolFull


def test_batches_come_back_in_arrival_order_with_their_bucket(tmp_path):
    spool = Spool(tmp_path, 10**6)
    spool.put("options-data", ["m a=1i 1", "m a=2i 2"])
    spool.put("cash-flows", ["c b=1i 3"])
    batches = [spool.read(path) for path in spool.pending()]
    assert [(batch.bucket, batch.points, batch.body) for batch in batches] == [
        ("options-data", 2, "m a=1i 1\nm a=2i 2"), ("cash-flows", 1, "c b=1i 3")]
    assert spool.pending_points() == 3


def test_removing_a_batch_frees_its_space(tmp_path):
    spool = Spool(tmp_path, 10**6)
    spool.put("b", ["m a=1i 1"])
    assert spool.size_bytes() > 0
    spool.remove(spool.read(spool.pending()[0]))
    assert spool.pending() == [] and spool.size_bytes() == 0


def test_the_size_limit_refuses_new_batches_instead_of_dropping_old_ones(tmp_path):
    spool = Spool(tmp_path, 200)
    spool.put("b", ["m a=1i 1"])
    with pytest.raises(SpoolFull, match="would exceed"):
        spool.put("b", ["m a=1i " + "9" * 300])
    assert len(spool.pending()) == 1


def test_a_new_spool_object_sees_what_an_earlier_process_left(tmp_path):
    Spool(tmp_path, 10**6).put("b", ["m a=1i 1"])
    (tmp_path / ".0001.lp.abc.tmp").write_text("half a batch from a crash")
    spool = Spool(tmp_path, 10**6)
    assert len(spool.pending()) == 1 and spool.size_bytes() == spool.pending()[0].stat().st_size
    assert not list(tmp_path.glob(".*.tmp"))  # leftovers of an interrupted write are cleaned up


def test_rejected_batches_move_aside_with_the_reason(tmp_path):
    spool = Spool(tmp_path, 10**6)
    spool.put("b", ["m a=1i 1"])
    target = spool.reject(spool.read(spool.pending()[0]), "field type conflict")
    assert spool.pending() == [] and target.exists()
    assert target.with_suffix(".reason.txt").read_text().strip() == "field type conflict"
