"""`field__any_of=[ids]`: membership in a list of integer ids, as one array parameter on
PostgreSQL (`= ANY(%s::bigint[])`) and as IN elsewhere.

A district's dashboard filters six figure queries by its 509 area ids. With `__in`, Django
prepared each id on its own and psycopg split a query of 509 placeholders, six times a page:
about a sixth of the page's Python time (bench/dashboard.py). PostgreSQL plans `x IN (list)`
as `x = ANY(array)` anyway, so the plans are the same.
"""

from django.core.exceptions import EmptyResultSet
from django.db.models import Field, ForeignObject, Lookup


class AnyOf(Lookup):
    lookup_name = "any_of"
    prepare_rhs = False

    def get_prep_lookup(self):
        return [int(value) for value in self.rhs]

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = self.rhs
        if not values:
            raise EmptyResultSet
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s::bigint[])", [*lhs_params, values]
        return f"{lhs} IN ({', '.join(['%s'] * len(values))})", [*lhs_params, *values]


Field.register_lookup(AnyOf)
ForeignObject.register_lookup(AnyOf)  # a foreign key's lookups are its own (ForeignObject.get_lookups)
