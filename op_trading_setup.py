"""OP Trading Platform: entry point only. `python op_trading_setup.py --help` lists what it can do."""

from op_trading.ui.launch import main

if __name__ == "__main__":
    main()
