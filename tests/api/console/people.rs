//! HR's project pages (registration, status, leader, rename, annual reports) and the admin's users
//! and organisations.
