"""Chain snapshots kept in the embedded store: a collector's real snapshot round-trips, past chains are found at
or before a moment, and the chain query (Greeks, OI change) reads the same from the store as from memory."""

from dataclasses import replace
from datetime import timedelta

from op_trading.config.settings import load_settings
from op_trading.queries.chain import build_chain, oi_change
from op_trading.queries.readers import StoreChains
from op_trading.queries.snapshots import MemoryChains
from op_trading.storage.chains import ChainStore, snapshot_points
from op_trading.storage.embedded import EmbeddedStore
from op_trading.storage.schema import schema_problems
from tests.unit.test_collect_chain_snapshot import make


def _more_oi(option):
    change = option["oi_change"]
    return {**option, "oi": option["oi"] + 500, "oi_change": None if change is None else change + 500}


def _snapshots(tmp_path):
    collector, snapshotter, _ = make(tmp_path)
    first = snapshotter.take(collector.run_cycle())
    later = replace(first, timestamp=(first.timestamp[:11] + "11:10:00+05:30"),
                    expiries=[replace(part, options=tuple(_more_oi(o) for o in part.options))
                              for part in first.expiries])
    return first, later


def test_a_collector_snapshot_round_trips_and_past_chains_are_found(tmp_path):
    first, later = _snapshots(tmp_path)
    points = snapshot_points(first)
    assert not [problem for point in points for problem in schema_problems(point)]
    chains = ChainStore(EmbeddedStore(tmp_path / "data"))
    assert chains.write_snapshot(first).ok and chains.write_snapshot(later).ok
    part = first.expiries[0]
    stored = chains.chain(part.index, part.expiry, at=later.expiries[0].options and
                          chains.latest(part.index, part.expiry).time - timedelta(seconds=1))
    assert stored.time.isoformat() == first.timestamp and stored.spot == part.spot
    assert stored.buckets == part.buckets and stored.atm_strike == part.atm_strike
    wanted = sorted((o["strike"], o["side"][0] + "E", o["last_price"], o["oi"], o["oi_open"], o["iv"])
                    for o in part.options)
    assert sorted((o.strike, o.side, o.last_price, o.oi, o.oi_open, o.iv) for o in stored.options) == wanted
    newest = chains.latest(part.index, part.expiry)
    assert newest.time.isoformat() == later.timestamp and newest.options[0].oi == stored.options[0].oi + 500
    assert chains.chain(part.index, part.expiry, at=stored.time - timedelta(seconds=1)) is None
    expiries = sorted({p.expiry for p in first.expiries if p.index == part.index})
    assert chains.expiries(part.index) == expiries
    assert chains.latest(part.index).expiry == expiries[0]
    chains.store.compact(all_days=True)  # sealed into chunks: the same answers
    assert chains.latest(part.index, part.expiry) == newest
    oi_only = chains.chain(part.index, part.expiry, fields=["oi"])  # what the OI-change query reads
    assert oi_only.time == newest.time and [(o.strike, o.side, o.oi) for o in oi_only.options] == \
        [(o.strike, o.side, o.oi) for o in newest.options if o.oi is not None]
    assert all(o.last_price is None and o.iv is None for o in oi_only.options)


def test_the_chain_query_reads_the_same_from_the_store_as_from_memory(tmp_path):
    first, later = _snapshots(tmp_path)
    memory, store = MemoryChains(), StoreChains(ChainStore(EmbeddedStore(tmp_path / "data")))
    for snapshot in (first, later):
        memory.add(snapshot)
        store.chains.write_snapshot(snapshot)
    settings = load_settings("development", {})
    index, expiry = first.expiries[0].index, first.expiries[0].expiry
    from_memory = build_chain(memory.latest(index, expiry), settings, memory)
    from_store = build_chain(store.latest(index, expiry), settings, store)
    strip = [(row.strike, row.atm, row.max_pain, row.call and replace(row.call, buildup=""),
              row.put and replace(row.put, buildup="")) for row in from_memory.rows]
    assert strip == [(row.strike, row.atm, row.max_pain, row.call and replace(row.call, buildup=""),
                      row.put and replace(row.put, buildup="")) for row in from_store.rows]
    assert (from_store.pcr_oi, from_store.max_pain, from_store.as_of) == (from_memory.pcr_oi, from_memory.max_pain,
                                                                          from_memory.as_of)
    changes = oi_change(store.latest(index, expiry), store, 10)
    assert changes.since.isoformat() == first.timestamp and {row.call_change for row in changes.rows} == {500}


def test_the_collection_session_stores_each_snapshot(tmp_path):
    from op_trading.runtime.collect import CollectionSession

    collector, snapshotter, _ = make(tmp_path)
    store = EmbeddedStore(tmp_path / "data")
    report = CollectionSession(collector, [store], "mock", None, snapshotter).run_cycle()
    assert report.chain is not None and not report.warnings
    chains = ChainStore(store)
    for part in report.chain.expiries:
        stored = chains.latest(part.index, part.expiry)
        assert stored.time.isoformat() == report.chain.timestamp and len(stored.options) == len(part.options)
    assert store.count("option_chain") == report.chain.size
