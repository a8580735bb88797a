"""``python -m pvecdk._codegen``: regenerate the committed bindings."""

from pvecdk._codegen import main

raise SystemExit(main())
