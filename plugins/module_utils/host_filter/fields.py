# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a host_filter may name: the searchable fields, relations and lookups (data only).

The parser resolves every key against these tables (:mod:`resolve`); the
compilers read :data:`NULLABLE`, :data:`SEARCH_FIELDS` and :data:`FACTS_FIELD`.
"""

from __future__ import annotations

from types import MappingProxyType

__all__ = [
    'FACTS_FIELD', 'VARIABLES_FIELD', 'JSON_FIELDS', 'SEARCHABLE', 'NULLABLE', 'RELATIONS', 'SEARCH_FIELDS',
    'TEXT_LOOKUPS', 'COMPARISON_LOOKUPS', 'LOOKUPS', 'KIND_LOOKUPS', 'FORBIDDEN',
]

FACTS_FIELD = 'ansible_facts'
VARIABLES_FIELD = 'variables'
# Fields searched by a JSON path (``<field>__key__key[]__...``); the Term's
# ``field`` is one of these and its ``kind`` is 'json'.
JSON_FIELDS = (FACTS_FIELD, VARIABLES_FIELD)

# Searchable columns per object: name -> kind ('int', 'bool' or 'text').
SEARCHABLE = MappingProxyType({
    'host': MappingProxyType({
        'id': 'int',
        'name': 'text',
        'description': 'text',
        'instance_id': 'text',
        'enabled': 'bool',
        'ansible_facts_modified': 'text',
    }),
    'inventory': MappingProxyType({
        'id': 'int',
        'name': 'text',
        'description': 'text',
        'kind': 'text',
    }),
    'groups': MappingProxyType({
        'id': 'int',
        'name': 'text',
        'description': 'text',
    }),
    'all_groups': MappingProxyType({
        'id': 'int',
        'name': 'text',
        'description': 'text',
    }),
})

# Nullable host columns (the only ones whose SQL predicate can be NULL).
NULLABLE = frozenset({'ansible_facts_modified'})

# Relation prefix as written -> canonical relation.
RELATIONS = MappingProxyType({
    'inventory': 'inventory',
    'groups': 'groups',
    'group': 'groups',
    'all_groups': 'all_groups',
})

# Columns ``search=`` / ``<relation>__search=`` look at (icontains, OR-ed).
SEARCH_FIELDS = ('name', 'description')

TEXT_LOOKUPS = frozenset({
    'iexact', 'contains', 'icontains', 'startswith', 'istartswith',
    'endswith', 'iendswith', 'regex', 'iregex',
})
COMPARISON_LOOKUPS = frozenset({'gt', 'gte', 'lt', 'lte'})
LOOKUPS = frozenset({'exact', 'in', 'isnull'}) | TEXT_LOOKUPS | COMPARISON_LOOKUPS

# Lookups allowed per column kind.
KIND_LOOKUPS = MappingProxyType({
    'text': LOOKUPS,
    'int': frozenset({'exact', 'in', 'isnull'}) | COMPARISON_LOOKUPS,
    'bool': frozenset({'exact', 'in', 'isnull'}),
})

# Known (AWX) fields that exist but may not be filtered on.
FORBIDDEN = MappingProxyType({
    'host': frozenset({
        'created', 'modified', 'created_by', 'modified_by',
        'last_job', 'last_job_host_summary', 'insights_system_id',
        'inventory_sources', 'job_events', 'job_host_summaries',
        'smart_inventories', 'pending_delete', FACTS_FIELD,
    }),
    'inventory': frozenset({
        'variables', 'created', 'modified', 'created_by', 'modified_by',
        'pending_delete', 'host_filter', 'organization', 'hosts', 'groups',
        'inventory_sources',
    }),
    'groups': frozenset({
        'variables', 'created', 'modified', 'created_by', 'modified_by',
        'hosts', 'children', 'parents', 'inventory', 'inventory_sources',
    }),
})
