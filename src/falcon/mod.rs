//! The Falcon user-management API: wire types and a typed client. Nothing here knows SCIM.

pub mod model;
