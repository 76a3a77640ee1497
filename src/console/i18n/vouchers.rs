//! The words of the console's vouchers pages, in Chinese and English.
