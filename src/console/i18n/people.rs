//! The words of the console's people pages, in Chinese and English.
