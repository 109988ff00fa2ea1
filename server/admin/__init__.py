"""The support lead's side: dashboard users and login, the dashboard's pages and charts,
the bearer-token admin API, exports and visitor erasure."""
