"""Collection: the cycle's instrument universe, one collection cycle, day-open baselines and the aligned loop.

Nothing is imported here, so importing a submodule stays cheap; `op_trading.runtime.collect.run_collection` wires
the pieces to Kite (or the local simulator), the sinks and the settings.
"""
