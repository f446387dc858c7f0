"""``python -m data_access``: the data layer's command line.

Every command is a short process that mostly loads modules: importing polars creates about 30,000 objects
the cyclic garbage collector would scan again and again while they load and once more at exit, and finds
almost no garbage among them (514 objects in 84 collections). So the collector is paused while the modules
load, and what they made is then frozen out of every later collection (``gc.freeze``, the standard library's
way for long-lived start-up objects) before it is switched back on for the command's own work. Measured on
``report`` at 250 children (``python -m benchmarks --cli-only --scales 250``): about 30 ms less per run,
with the same output. The dashboard's server does not run through here.
"""

import gc

gc.disable()
import polars  # noqa: E402, F401  (every command reads or writes Parquet with it)

from data_access.cli import main  # noqa: E402

gc.freeze()
gc.enable()

raise SystemExit(main())
