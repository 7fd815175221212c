"""Pure sync logic: bookings in, keypad code actions out. No Home Assistant imports here."""
