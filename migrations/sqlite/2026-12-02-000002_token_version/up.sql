-- Every token and console session carries its user's version when issued; a password change, a
-- role change, a deactivation and a sign-out raise it, and every earlier token stops working.
ALTER TABLE users ADD COLUMN token_version INTEGER NOT NULL DEFAULT 0;
