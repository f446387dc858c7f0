"""``python -m data_access``: the data layer's command line."""

from data_access.cli import main

raise SystemExit(main())
