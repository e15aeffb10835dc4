"""Setup (First Time): checks, folders, .env, services, validation — and all of them in order."""

from menus.wizard import WIZARD
from op_trading.ui.model import Leaf, Menu, Sequence

SETUP = Menu("setup", "Setup (First Time)", (
    Leaf("requirements", "Check system requirements", "system.requirements",
         help="Python, OS, CPU, memory, disk, ports, docker, clock."),
    Leaf("prerequisites", "Check prerequisites and install if missing", "system.prerequisites",
         help="Python packages (installed with this interpreter's pip after asking) and optional servers."),
    Leaf("structure", "Create project structure and directories", "system.structure"),
    WIZARD,
    Leaf("services", "Initialize basic services (InfluxDB, Redis)", "services.initialize",
         help="Creates missing InfluxDB buckets; checks Redis; falls back to the embedded defaults."),
    Leaf("validate", "Validate complete installation", "system.validate",
         help="Configuration, folders, services and one dry collection cycle."),
    Sequence("all", "Run all setup steps automatically",
             ("requirements", "prerequisites", "structure", "wizard.first_time", "services", "validate"),
             help="Asks only for Kite credentials, data source and storage; the wizard (item 4) changes the rest."),
), help="First-time installation on this machine.")
