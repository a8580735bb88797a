"""The runtime under every generated L1 class (``pvecdk.bpg`` and ``pvecdk.provider``).

Generated modules hold only names, signatures and a compact field table per type, and reach everything here
as ``_l1.<name>``; the modules of this package do the work the same way for all of them:

* **Validation before anything is written** (``checks``, ``elements``). Unknown and missing arguments are
  caught by the metaclass before the constructor runs; types, nested blocks and item limits are checked before
  the construct is created on the jsii side, so a rejected construct never enters the tree. Every problem found
  is reported at once in a :class:`~pvecdk.errors.ConfigError` naming the Terraform type, the construct path
  and the attribute.
* **Tokens pass.** Any value that cdktf resolves later (``${TfToken[...]}`` strings, number tokens, ``IResolvable``
  objects) is accepted wherever Terraform would accept a computed value.
* **Synthesis** (``synthesis``) for JSON (``_synthesize_attributes``) and HCL (``_synthesize_hcl_attributes``).
* **References** (``references``): attribute getters return tokens; nested blocks are read through
  ``...OutputReference`` and ``...List``/``...Map`` readers, as in cdktf's own bindings.
* **Secrets are never literals**: an argument the provider marks sensitive takes a token (a sensitive
  ``TerraformVariable``, an output of another resource) or nothing (the provider's own environment variable);
  a literal is refused, and its value never appears in the message.

The schema a generated module declares (``Field``, ``Attr``, ``Nested``, ``Struct``) lives in ``fields``.
"""

from pvecdk._l1.elements import DataSource, Provider, Resource, importable
from pvecdk._l1.fields import Attr, CtyType, Field, Nested, Struct, attr, nested
from pvecdk._l1.references import ListReader, MapReader, OutputReference

__all__ = [
    "Attr",
    "CtyType",
    "DataSource",
    "Field",
    "ListReader",
    "MapReader",
    "Nested",
    "OutputReference",
    "Provider",
    "Resource",
    "Struct",
    "attr",
    "importable",
    "nested",
]
