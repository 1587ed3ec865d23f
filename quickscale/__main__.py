from __future__ import annotations

from quickscale.cli import main

raise SystemExit(main())
