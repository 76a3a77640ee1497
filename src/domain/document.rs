//! Original documents (原始凭证) on vouchers: what kind of paper a document is, what type its
//! bytes are (judged by the bytes, never by the name a browser sends), and the file name kept
//! for it. No I/O here: the upload is fed in as it streams.
use serde::Serialize;

/// What a document is to the voucher, as the uploader says (`other` when unsaid).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    /// 发票
    Invoice,
    /// 收据
    Receipt,
    /// 合同
    Contract,
    /// 验收单
    Acceptance,
    Other,
}

impl DocumentKind {
    pub const ALL: [DocumentKind; 5] =
        [DocumentKind::Invoice, DocumentKind::Receipt, DocumentKind::Contract, DocumentKind::Acceptance, DocumentKind::Other];

    pub fn as_str(self) -> &'static str {
        match self {
            DocumentKind::Invoice => "invoice",
            DocumentKind::Receipt => "receipt",
            DocumentKind::Contract => "contract",
            DocumentKind::Acceptance => "acceptance",
            DocumentKind::Other => "other",
        }
    }

    pub fn parse(text: &str) -> Option<DocumentKind> {
        DocumentKind::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// The types a document may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentType {
    Pdf,
    Jpeg,
    Png,
    /// OFD (GB/T 33190-2016), the format of Chinese e-invoices: a ZIP container whose root holds
    /// `OFD.xml`.
    Ofd,
    /// An XML e-invoice (全电发票 XML), starting with its `<?xml` declaration.
    Xml,
}

impl ContentType {
    pub fn mime(self) -> &'static str {
        match self {
            ContentType::Pdf => "application/pdf",
            ContentType::Jpeg => "image/jpeg",
            ContentType::Png => "image/png",
            ContentType::Ofd => "application/ofd",
            ContentType::Xml => "application/xml",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            ContentType::Pdf => "pdf",
            ContentType::Jpeg => "jpg",
            ContentType::Png => "png",
            ContentType::Ofd => "ofd",
            ContentType::Xml => "xml",
        }
    }
}

/// Bytes looked at before the type is judged from the head (the longest magic number, with an
/// XML file's byte order mark and leading blank lines).
const HEAD: usize = 64;
/// A ZIP header naming its file: `PK\3\4` (local) or `PK\1\2` (central directory), the name's
/// length at offset 26 or 28, the name itself at offset 30 or 46.
const LOCAL: (&[u8; 4], usize, usize) = (b"PK\x03\x04", 26, 30);
const CENTRAL: (&[u8; 4], usize, usize) = (b"PK\x01\x02", 28, 46);
const OFD_ROOT: &[u8] = b"OFD.xml";
/// Bytes kept from one chunk to the next, so a ZIP header split across two is still read.
const CARRY: usize = 46 + 7 - 1;

/// Judges a document's type from its bytes as they stream in, keeping at most a few dozen of
/// them. A ZIP is an OFD only if one of its entries is named `OFD.xml`, which may come anywhere
/// (the central directory is at the end), so a ZIP is judged only when it has been read whole.
#[derive(Default)]
pub struct Sniffer {
    head: Vec<u8>,
    /// The last bytes of the stream so far (a ZIP's headers may straddle chunks).
    carry: Vec<u8>,
    ofd_root_seen: bool,
}

/// What the bytes so far say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Judged {
    /// Not enough bytes yet, or a ZIP still being read.
    Undecided,
    /// None of the types: stop reading.
    Refused,
}

impl Sniffer {
    /// Feeds the next chunk; `Refused` as soon as the head rules out every type.
    pub fn feed(&mut self, chunk: &[u8]) -> Judged {
        if self.head.len() < HEAD {
            let take = (HEAD - self.head.len()).min(chunk.len());
            self.head.extend_from_slice(&chunk[..take]);
        }
        if self.head.len() >= HEAD && self.by_head().is_none() && !self.is_zip() {
            return Judged::Refused;
        }
        if !self.ofd_root_seen && (self.head.len() < 4 || self.is_zip()) {
            let mut window = std::mem::take(&mut self.carry);
            window.extend_from_slice(chunk);
            self.ofd_root_seen = names_ofd_root(&window);
            let keep = window.len().saturating_sub(CARRY);
            self.carry = window.split_off(keep);
        }
        Judged::Undecided
    }

    /// The type, once every byte was fed; None for anything else.
    pub fn finish(&self) -> Option<ContentType> {
        match self.by_head() {
            Some(t) => Some(t),
            None if self.is_zip() && self.ofd_root_seen => Some(ContentType::Ofd),
            None => None,
        }
    }

    fn is_zip(&self) -> bool {
        self.head.starts_with(LOCAL.0)
    }

    fn by_head(&self) -> Option<ContentType> {
        let h = self.head.as_slice();
        if h.starts_with(b"%PDF-") {
            Some(ContentType::Pdf)
        } else if h.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(ContentType::Jpeg)
        } else if h.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(ContentType::Png)
        } else if is_xml(h) {
            Some(ContentType::Xml)
        } else {
            None
        }
    }
}

/// An XML declaration, after an optional UTF-8 byte order mark and blank space.
fn is_xml(head: &[u8]) -> bool {
    let h = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let start = h.iter().position(|b| !b" \t\r\n".contains(b)).unwrap_or(h.len());
    h[start..].starts_with(b"<?xml") && h.get(start + 5).is_some_and(|b| b" \t\r\n".contains(b))
}

/// Whether some ZIP header in `window` names the root entry `OFD.xml`.
fn names_ofd_root(window: &[u8]) -> bool {
    [LOCAL, CENTRAL].iter().any(|(signature, len_at, name_at)| {
        window.windows(4).enumerate().any(|(i, w)| {
            w == *signature
                && window.get(i + len_at..i + len_at + 2) == Some(&(OFD_ROOT.len() as u16).to_le_bytes()[..])
                && window.get(i + name_at..i + name_at + OFD_ROOT.len()) == Some(OFD_ROOT)
        })
    })
}

/// The longest file name kept, in characters.
pub const MAX_FILENAME: usize = 200;

/// The name a document is kept under: the last part of what the browser sent (some send the
/// whole path), without control characters, at most `MAX_FILENAME` characters; when nothing is
/// left, `document.<extension of its type>`.
pub fn filename(sent: Option<&str>, content_type: ContentType) -> String {
    let last = sent.unwrap_or("").rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = last.chars().filter(|c| !c.is_control()).collect();
    let clean = clean.trim().trim_start_matches('.').trim();
    if clean.is_empty() {
        return format!("document.{}", content_type.extension());
    }
    clean.chars().take(MAX_FILENAME).collect()
}

/// A document whose stored bytes no longer hash to what the chain recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ChangedDocument {
    pub attachment_id: String,
    pub voucher_id: String,
    /// The sha256 the chain's `attachment.added` event recorded.
    pub sha256: String,
    /// The sha256 of the bytes stored now; absent when the document or its attachment is gone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub found: Option<String>,
}

/// `verify?documents=true`: every document the chain names, re-hashed from the stored bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DocumentsCheck {
    /// Documents re-hashed.
    pub checked: u64,
    /// Documents whose bytes differ from the chain's record (or are missing), first in chain order.
    pub changed: Vec<ChangedDocument>,
    /// Attachments in the table that no `attachment.added` event recorded.
    pub unrecorded: Vec<String>,
}

impl DocumentsCheck {
    /// Every document is as the chain recorded it, and the chain recorded every attachment.
    pub fn holds(&self) -> bool {
        self.changed.is_empty() && self.unrecorded.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judge(bytes: &[u8], chunk: usize) -> Option<ContentType> {
        let mut s = Sniffer::default();
        for c in bytes.chunks(chunk.max(1)) {
            if s.feed(c) == Judged::Refused {
                return None;
            }
        }
        s.finish()
    }

    /// A ZIP with one stored entry of that name, as a writer lays it out (local header, data,
    /// central directory entry, end record).
    fn zip_with(name: &[u8]) -> Vec<u8> {
        let data = b"<ofd:OFD/>";
        let mut z = Vec::new();
        z.extend_from_slice(b"PK\x03\x04\x14\x00\x00\x00\x00\x00\x00\x00\x00\x00");
        z.extend_from_slice(&[0; 4]); // crc (not checked here)
        z.extend_from_slice(&(data.len() as u32).to_le_bytes());
        z.extend_from_slice(&(data.len() as u32).to_le_bytes());
        z.extend_from_slice(&(name.len() as u16).to_le_bytes());
        z.extend_from_slice(&[0, 0]);
        z.extend_from_slice(name);
        z.extend_from_slice(data);
        let central = z.len();
        z.extend_from_slice(b"PK\x01\x02\x14\x00\x14\x00\x00\x00\x00\x00\x00\x00\x00\x00");
        z.extend_from_slice(&[0; 4]);
        z.extend_from_slice(&(data.len() as u32).to_le_bytes());
        z.extend_from_slice(&(data.len() as u32).to_le_bytes());
        z.extend_from_slice(&(name.len() as u16).to_le_bytes());
        z.extend_from_slice(&[0; 12]);
        z.extend_from_slice(&[0; 4]);
        z.extend_from_slice(name);
        z.extend_from_slice(b"PK\x05\x06");
        z.extend_from_slice(&[0; 12]);
        z.extend_from_slice(&(central as u32).to_le_bytes());
        z.extend_from_slice(&[0, 0]);
        z
    }

    #[test]
    fn each_type_is_known_by_its_bytes_in_any_chunking() {
        let pdf = [b"%PDF-1.7\n".as_slice(), &[0u8; 100]].concat();
        let jpeg = [[0xFF, 0xD8, 0xFF, 0xE0].as_slice(), &[1u8; 100]].concat();
        let png = [b"\x89PNG\r\n\x1a\n".as_slice(), &[2u8; 100]].concat();
        let xml = "\u{feff}\n<?xml version=\"1.0\" encoding=\"UTF-8\"?><EInvoice/>".as_bytes().to_vec();
        let ofd = zip_with(b"OFD.xml");
        for chunk in [1, 3, 7, 64, 4096] {
            assert_eq!(judge(&pdf, chunk), Some(ContentType::Pdf), "{chunk}");
            assert_eq!(judge(&jpeg, chunk), Some(ContentType::Jpeg), "{chunk}");
            assert_eq!(judge(&png, chunk), Some(ContentType::Png), "{chunk}");
            assert_eq!(judge(&xml, chunk), Some(ContentType::Xml), "{chunk}");
            assert_eq!(judge(&ofd, chunk), Some(ContentType::Ofd), "{chunk}");
        }
    }

    #[test]
    fn near_misses_are_refused() {
        let exe = [b"MZ\x90\x00".as_slice(), &[0u8; 200]].concat();
        let text = "发票号码 25442000000123456789，金额 1200.00".repeat(5);
        let plain_zip = zip_with(b"word/document.xml");
        let nested = zip_with(b"Doc_0/OFD.xml");
        for bad in [exe.as_slice(), text.as_bytes(), &plain_zip, &nested, b"", b"%PD", b"<xml/>", b"<?xmlfoo"] {
            assert_eq!(judge(bad, 5), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn anything_but_a_zip_is_refused_from_its_head() {
        let mut s = Sniffer::default();
        assert_eq!(s.feed(&[b'M'; 63]), Judged::Undecided);
        assert_eq!(s.feed(b"Z"), Judged::Refused, "64 bytes rule it out");
        let mut z = Sniffer::default();
        assert_eq!(z.feed(&[b"PK\x03\x04".as_slice(), &[0; 200]].concat()), Judged::Undecided, "a ZIP is read to its end");
    }

    #[test]
    fn file_names_keep_their_last_part_without_control_characters() {
        assert_eq!(filename(Some("C:\\扫描\\发票 2025.pdf"), ContentType::Pdf), "发票 2025.pdf");
        assert_eq!(filename(Some("../../etc/passwd"), ContentType::Pdf), "passwd");
        assert_eq!(filename(Some("a\r\nb.png"), ContentType::Png), "ab.png");
        assert_eq!(filename(Some("  "), ContentType::Ofd), "document.ofd");
        assert_eq!(filename(None, ContentType::Xml), "document.xml");
        assert_eq!(filename(Some("..."), ContentType::Jpeg), "document.jpg");
        assert_eq!(filename(Some(&"票".repeat(300)), ContentType::Pdf).chars().count(), MAX_FILENAME);
    }

    #[test]
    fn kinds_parse_from_their_names_only() {
        for k in DocumentKind::ALL {
            assert_eq!(DocumentKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(DocumentKind::parse("Invoice"), None);
        assert_eq!(DocumentKind::parse(""), None);
    }
}
