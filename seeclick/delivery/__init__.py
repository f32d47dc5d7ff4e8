"""Reports sent on to the city's own systems (Open311), and their changes read back onto the timelines."""
