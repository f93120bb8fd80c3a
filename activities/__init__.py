"""Activities (meetings, calls, visits, …) logged on a member, and follow-ups to do."""
