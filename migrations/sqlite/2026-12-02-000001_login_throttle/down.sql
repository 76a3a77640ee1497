DROP TABLE login_locks;
DROP TABLE login_failures;
