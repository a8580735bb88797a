"""``python -m pvecdk.provider._plugin``: the plugin executable Terraform starts."""

from __future__ import annotations

from pvecdk.provider._plugin import main

raise SystemExit(main())
