//! The words of the console's finance pages, in Chinese and English.
