//! The unit's voucher pages: entry (keyboard, live classification), list, voucher page and its
//! print layout, reversal, annual report form.
