//! Signed checkpoints of the audit chains' Merkle trees, in the C2SP `tlog-checkpoint` text
//! format inside a C2SP `signed-note` with an Ed25519 signature (Cloudflare's `tlog_tiles` and
//! `signed_note`): an inspector keeps one, and later asks the service to prove that today's tree
//! extends it. One key signs every chain of a deployment; each chain has its own origin line,
//! `<log name>/projects/<id>` or `<log name>/global`.
use super::merkle::TreeHash;
use signed_note::{Note, StandardSigner, StandardVerifier, VerifierList};
use tlog_tiles::Checkpoint;

/// The deployment's signing key and its name.
pub struct Notary {
    signer: StandardSigner,
    verifier_key: String,
    name: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CheckpointError {
    #[error("not a signed note (origin, size and root lines, a blank line, signature lines)")]
    Malformed,
    #[error("not signed by the key {0}")]
    NotOurs(String),
    #[error("not a verifier key (<name>+<id>+<base64>, as /audit-key serves it)")]
    NotAKey,
    #[error("the checkpoint is of {found}, not of {expected}")]
    OtherLog { expected: String, found: String },
}

#[derive(Debug, thiserror::Error)]
#[error("signing key: {0}")]
pub struct KeyError(String);

/// What a verified checkpoint says.
#[derive(Debug, Clone, PartialEq)]
pub struct Kept {
    pub size: u64,
    pub root: TreeHash,
}

impl Notary {
    /// From a key in the signed-note form `PRIVATE+KEY+<name>+<id>+<base64>`.
    pub fn from_key(skey: &str) -> Result<Notary, KeyError> {
        let signer = StandardSigner::new(skey.trim()).map_err(|e| KeyError(format!("{e} (want PRIVATE+KEY+name+id+base64)")))?;
        let seed: [u8; 32] = {
            use base64::Engine;
            // PRIVATE+KEY+<name>+<id>+<base64>: the base64 may hold '+' itself.
            let b64 = skey.trim().splitn(5, '+').nth(4).unwrap_or("");
            let raw = base64::engine::general_purpose::STANDARD.decode(b64).map_err(|e| KeyError(e.to_string()))?;
            raw.get(1..33).and_then(|s| s.try_into().ok()).ok_or_else(|| KeyError("not an Ed25519 key".into()))?
        };
        let name = signed_note::Signer::name(&signer).to_string();
        Ok(Notary::assemble(signer, &name, &seed))
    }

    /// A key made from 32 secret bytes (derived from the service's secret where no key is given).
    pub fn from_seed(name: &str, seed: [u8; 32]) -> Result<Notary, KeyError> {
        Notary::from_key(&encode_key(name, &seed)?)
    }

    /// A new random key, in the form `from_key` reads (to keep in a file).
    pub fn generate(name: &str) -> Result<String, KeyError> {
        let mut seed = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut seed);
        encode_key(name, &seed)
    }

    fn assemble(signer: StandardSigner, name: &str, seed: &[u8; 32]) -> Notary {
        let public = ed25519_dalek::SigningKey::from_bytes(seed).verifying_key();
        Notary { signer, verifier_key: signed_note::new_ed25519_verifier_key(name, &public), name: name.to_string() }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// `<name>+<key id>+<base64 public key>`: what a verifier needs.
    pub fn verifier_key(&self) -> &str {
        &self.verifier_key
    }

    /// The origin line of a chain's checkpoints.
    pub fn origin(&self, chain_id: &str) -> String {
        if chain_id == "global" {
            format!("{}/global", self.name)
        } else {
            format!("{}/projects/{chain_id}", self.name)
        }
    }

    /// The signed checkpoint of a chain's tree.
    pub fn sign(&self, chain_id: &str, size: u64, root: TreeHash) -> String {
        let text = Checkpoint::new(&self.origin(chain_id), size, root, "").expect("an origin is never empty").to_bytes();
        let mut note = Note::new(&text, &[]).expect("a checkpoint is a valid note text");
        note.add_sigs(&[&self.signer]).expect("the key signs");
        String::from_utf8(note.to_bytes()).expect("a note is text")
    }

    /// A checkpoint this service signed for `chain_id`: its size and root.
    pub fn open(&self, chain_id: &str, text: &str) -> Result<Kept, CheckpointError> {
        let (origin, kept) = open_signed(&self.verifier_key, text)?;
        let expected = self.origin(chain_id);
        if origin != expected {
            return Err(CheckpointError::OtherLog { expected, found: origin });
        }
        Ok(kept)
    }
}

/// A checkpoint signed by the key `verifier_key` (`<name>+<id>+<base64>`, as `/audit-key`
/// serves it): its origin line, size and root. What an inspector's offline check trusts.
pub fn open_signed(verifier_key: &str, text: &str) -> Result<(String, Kept), CheckpointError> {
    let verifier = StandardVerifier::new(verifier_key.trim()).map_err(|_| CheckpointError::NotAKey)?;
    // Kept files often lose or gain a final newline; the note needs exactly one.
    let text = format!("{}\n", text.trim_end_matches(['\n', '\r']));
    let note = Note::from_bytes(text.as_bytes()).map_err(|_| CheckpointError::Malformed)?;
    note.verify(&VerifierList::new(vec![Box::new(verifier)])).map_err(|_| CheckpointError::NotOurs(verifier_key.trim().to_string()))?;
    let checkpoint = Checkpoint::from_bytes(note.text()).map_err(|_| CheckpointError::Malformed)?;
    Ok((checkpoint.origin().to_string(), Kept { size: checkpoint.size(), root: *checkpoint.hash() }))
}

fn encode_key(name: &str, seed: &[u8; 32]) -> Result<String, KeyError> {
    use base64::Engine;
    if !signed_note::is_key_name_valid(name) {
        return Err(KeyError(format!("'{name}' is not a key name (no spaces, no '+')")));
    }
    let public = ed25519_dalek::SigningKey::from_bytes(seed).verifying_key();
    let id = signed_note::key_id(name, &[&[1u8][..], public.as_bytes()].concat());
    let private = [&[1u8][..], seed].concat();
    Ok(format!("PRIVATE+KEY+{name}+{id:08x}+{}", base64::engine::general_purpose::STANDARD.encode(private)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::merkle::record_hash;

    fn notary() -> Notary {
        Notary::from_seed("fundledger.test", [7u8; 32]).unwrap()
    }

    #[test]
    fn a_checkpoint_is_the_c2sp_text_signed_and_opens_again() {
        let n = notary();
        let root = record_hash(b"x");
        let text = n.sign("p1", 5, root);
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("fundledger.test/projects/p1"));
        assert_eq!(lines.next(), Some("5"));
        use base64::Engine;
        assert_eq!(lines.next(), Some(base64::engine::general_purpose::STANDARD.encode(root.0).as_str()));
        assert_eq!(lines.next(), Some(""));
        assert!(lines.next().unwrap().starts_with("— fundledger.test "), "{text}");
        assert_eq!(n.open("p1", &text), Ok(Kept { size: 5, root }));
        assert_eq!(n.open("p1", text.trim_end()), Ok(Kept { size: 5, root }), "a lost final newline is forgiven");
    }

    #[test]
    fn another_key_another_chain_or_an_edited_size_is_refused() {
        let n = notary();
        let text = n.sign("p1", 5, record_hash(b"x"));
        let other = Notary::from_seed("fundledger.test", [8u8; 32]).unwrap();
        assert!(matches!(other.open("p1", &text), Err(CheckpointError::NotOurs(_))));
        assert!(matches!(n.open("p2", &text), Err(CheckpointError::OtherLog { .. })));
        assert!(matches!(n.open("p1", &text.replacen("\n5\n", "\n4\n", 1)), Err(CheckpointError::NotOurs(_))));
        assert_eq!(n.open("p1", "garbage"), Err(CheckpointError::Malformed));
    }

    #[test]
    fn a_key_survives_its_text_form() {
        let key = Notary::generate("fundledger.test").unwrap();
        let a = Notary::from_key(&key).unwrap();
        let b = Notary::from_key(&key).unwrap();
        assert_eq!(a.verifier_key(), b.verifier_key());
        assert!(a.verifier_key().starts_with("fundledger.test+"));
        assert!(Notary::from_key("PRIVATE+KEY+x+00000000+AAAA").is_err());
        assert!(Notary::generate("has space").is_err());
    }
}
