//! A Falcon user-management API simulator, faithful to `falcon-api.md` §13.
