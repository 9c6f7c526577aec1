"""Area scope: the one place that decides which rows a user may see.

Every list, detail, export and API endpoint starts from `Model.objects.visible_to(user)`. A row is
visible when its area lies in the subtree of the user's area and, for users bound to a grid (grid
workers), when it belongs to that grid or one below it. Rows outside scope are simply absent, so
reaching one by id gives 404, never a hint that it exists.
"""

from django.apps import apps
from django.db import models


class ScopedQuerySet(models.QuerySet):
    # Path from the model to its Area ("pk" for Area itself); models override as needed.
    scope_area_field = "area"
    # Path from the model to its Grid, or None where grids do not apply.
    scope_grid_field = None

    def _field(self, name):
        return getattr(self.model, name, None) or getattr(self, name)

    def visible_to(self, user):
        decided = self.without_area(user)
        if decided is not None:
            return decided
        return self.in_area(user.area).in_grid(user.grid if user.grid_id else None)

    def without_area(self, user):
        """What a user sees whatever their area says: nothing when signed out, inactive or without an area,
        everything as a superuser; None when their area decides (a subclass's own visible_to starts here)."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self
        if user.area_id is None:
            return self.none()
        return None

    def in_area(self, area):
        field = self._field("scope_area_field")
        if field == "pk":
            return self.filter(path__startswith=area.path)
        # The subtree's ids as literal values, not a subquery: the planner then knows which areas it
        # filters on and reads their newest rows from the (area, -id) index instead of walking the whole
        # table backwards when they have no recent rows (bench/persons.py). The ids are cached.
        return self.filter(**{f"{field}__in": area.subtree_ids()})

    def in_grid(self, grid):
        field = self._field("scope_grid_field")
        if grid is None or field is None:
            return self
        # By name, not by import: scope sits below the territory app that holds the grids.
        Grid = apps.get_model("territory", "Grid")
        grids = Grid.objects.filter(models.Q(pk=grid.pk) | models.Q(parent=grid) | models.Q(parent__parent=grid))
        return self.filter(**{f"{field}__in": grids.values("pk")})
