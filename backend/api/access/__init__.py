"""Who is calling (authentication) and whether they may (the permission each route declares)."""
