"""The sync: The Keys account read once per cycle, the codes planned and applied, views built."""
