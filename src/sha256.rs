//! SHA-256 (FIPS 180-4 §6.2), so that `--auth USER:sha256:HEX` can give
//! the server a password's digest instead of the password itself.
//!
//! With the digest on the command line, the password stays out of shell
//! history and process lists (`ps`, `/proc/*/cmdline`); the server hashes
//! the password each request brings and compares digests. That is all this
//! buys. SHA-256 is built to be fast, so anyone who sees the digest of a
//! weak password can try guesses by the billion until one matches; a
//! password hash (PBKDF2, scrypt, Argon2) is salted and deliberately slow
//! to prevent exactly that. Nor is it a MAC: from `sha256(key || message)`
//! anyone can compute the digest of a longer message without the key
//! (length extension), which is why HMAC exists. Use this for neither.
//!
//! The module owns the hash: message padding (§5.1.1), the message schedule
//! and compression function (§6.2.2), and the initial values and round
//! constants (§5.3.3, §4.2.2), plus hex text for digests. It does not own
//! how a password is compared (`http::credentials` has the
//! constant-time comparison) or how the command line is read.
//!
//! ```
//! use http_from_scratch::sha256::{sha256, to_hex, Sha256};
//!
//! let mut hasher = Sha256::new();
//! hasher.update(b"a");
//! hasher.update(b"bc");
//! assert_eq!(hasher.finish(), sha256(b"abc"));
//! assert!(to_hex(&sha256(b"abc")).starts_with("ba7816bf"));
//! ```

/// The length of a digest in bytes (256 bits).
pub const DIGEST_LEN: usize = 32;

/// The message is processed in 512-bit (64-byte) blocks.
const BLOCK_LEN: usize = 64;

/// The initial hash value H(0) (§5.3.3): the first 32 bits of the
/// fractional parts of the square roots of the first eight primes. A test
/// below derives them again from that definition.
const INITIAL_STATE: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

/// The round constants K (§4.2.2): the first 32 bits of the fractional
/// parts of the cube roots of the first sixty-four primes. Also derived
/// again by a test.
const ROUND_CONSTANTS: [u32; 64] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

/// A SHA-256 computation in progress: feed it bytes in pieces of any size
/// with [`update`](Sha256::update), then take the digest with
/// [`finish`](Sha256::finish).
#[derive(Debug, Clone)]
pub struct Sha256 {
    /// The intermediate hash value H(i), eight 32-bit words.
    state: [u32; 8],
    /// Bytes waiting for a full block; the first `filled` are meaningful.
    block: [u8; BLOCK_LEN],
    filled: usize,
    /// Bytes fed so far. The padding records the length in bits modulo
    /// 2^64; FIPS 180-4 only defines messages shorter than that anyway.
    length: u64,
}

impl Sha256 {
    /// A computation that has seen no bytes yet.
    pub fn new() -> Sha256 {
        Sha256 {
            state: INITIAL_STATE,
            block: [0; BLOCK_LEN],
            filled: 0,
            length: 0,
        }
    }

    /// Feeds `data` in. Splitting a message into pieces does not change the
    /// digest: only the bytes and their order matter.
    pub fn update(&mut self, mut data: &[u8]) {
        self.length = self.length.wrapping_add(data.len() as u64);
        while !data.is_empty() {
            // Top up the pending block; compress it once it is full.
            let take = (BLOCK_LEN - self.filled).min(data.len());
            self.block[self.filled..self.filled + take].copy_from_slice(&data[..take]);
            self.filled += take;
            data = &data[take..];
            if self.filled == BLOCK_LEN {
                compress(&mut self.state, &self.block);
                self.filled = 0;
            }
        }
    }

    /// Pads the message (§5.1.1) and returns the digest: the final hash
    /// value's eight words, big-endian.
    pub fn finish(mut self) -> [u8; DIGEST_LEN] {
        // Taken before padding, which goes through `update` and so counts.
        let bit_length = self.length.wrapping_mul(8);
        // A single 1 bit, then zeros until 8 bytes short of a block end
        // (possibly the end of one more block), then the length.
        self.update(&[0x80]);
        let zeros = (BLOCK_LEN + BLOCK_LEN - 8 - self.filled) % BLOCK_LEN;
        self.update(&[0; BLOCK_LEN][..zeros]);
        self.update(&bit_length.to_be_bytes());
        debug_assert_eq!(self.filled, 0, "padding ends on a block boundary");

        let mut digest = [0; DIGEST_LEN];
        for (out, word) in digest.chunks_exact_mut(4).zip(self.state) {
            out.copy_from_slice(&word.to_be_bytes());
        }
        digest
    }
}

impl Default for Sha256 {
    fn default() -> Sha256 {
        Sha256::new()
    }
}

/// The SHA-256 digest of `data`, in one call.
pub fn sha256(data: &[u8]) -> [u8; DIGEST_LEN] {
    let mut hasher = Sha256::new();
    hasher.update(data);
    hasher.finish()
}

/// `bytes` as lowercase hexadecimal, two digits a byte, as `sha256sum`
/// prints a digest.
pub fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// A digest written as exactly 64 hexadecimal digits (either case, as
/// different tools print them), back to bytes. `None` for any other length
/// or any other character, so a mistyped digest is refused rather than
/// silently never matching.
pub fn from_hex(text: &str) -> Option<[u8; DIGEST_LEN]> {
    let text = text.as_bytes();
    if text.len() != DIGEST_LEN * 2 {
        return None;
    }
    let mut digest = [0; DIGEST_LEN];
    for (out, pair) in digest.iter_mut().zip(text.chunks_exact(2)) {
        *out = hex_value(pair[0])? << 4 | hex_value(pair[1])?;
    }
    Some(digest)
}

fn hex_value(digit: u8) -> Option<u8> {
    char::from(digit).to_digit(16).map(|v| v as u8)
}

/// The compression function (§6.2.2, steps 2-4): mixes one 512-bit block
/// into the hash value.
fn compress(state: &mut [u32; 8], block: &[u8; BLOCK_LEN]) {
    let w = message_schedule(block);
    let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut h] = *state;
    for (&k, &w) in ROUND_CONSTANTS.iter().zip(&w) {
        // All additions are modulo 2^32, as the standard specifies.
        let t1 = h
            .wrapping_add(big_sigma1(e))
            .wrapping_add(ch(e, f, g))
            .wrapping_add(k)
            .wrapping_add(w);
        let t2 = big_sigma0(a).wrapping_add(maj(a, b, c));
        h = g;
        g = f;
        f = e;
        e = d.wrapping_add(t1);
        d = c;
        c = b;
        b = a;
        a = t1.wrapping_add(t2);
    }
    for (word, working) in state.iter_mut().zip([a, b, c, d, e, f, g, h]) {
        *word = word.wrapping_add(working);
    }
}

/// The message schedule W0..W63 (§6.2.2, step 1): the block's sixteen
/// big-endian words, then each later word made from four earlier ones.
fn message_schedule(block: &[u8; BLOCK_LEN]) -> [u32; 64] {
    let mut w = [0u32; 64];
    for (word, bytes) in w.iter_mut().zip(block.chunks_exact(4)) {
        *word = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    }
    for t in 16..64 {
        w[t] = small_sigma1(w[t - 2])
            .wrapping_add(w[t - 7])
            .wrapping_add(small_sigma0(w[t - 15]))
            .wrapping_add(w[t - 16]);
    }
    w
}

// The six logical functions of §4.1.2, named as the standard names them.

/// Ch: where a bit of `x` is 1 choose `y`'s bit, else `z`'s.
fn ch(x: u32, y: u32, z: u32) -> u32 {
    (x & y) ^ (!x & z)
}

/// Maj: each bit is the majority of the three inputs' bits.
fn maj(x: u32, y: u32, z: u32) -> u32 {
    (x & y) ^ (x & z) ^ (y & z)
}

/// Σ0, used on the working variable `a` in each round.
fn big_sigma0(x: u32) -> u32 {
    x.rotate_right(2) ^ x.rotate_right(13) ^ x.rotate_right(22)
}

/// Σ1, used on the working variable `e` in each round.
fn big_sigma1(x: u32) -> u32 {
    x.rotate_right(6) ^ x.rotate_right(11) ^ x.rotate_right(25)
}

/// σ0, used in the message schedule (note the last term shifts, not rotates).
fn small_sigma0(x: u32) -> u32 {
    x.rotate_right(7) ^ x.rotate_right(18) ^ (x >> 3)
}

/// σ1, used in the message schedule.
fn small_sigma1(x: u32) -> u32 {
    x.rotate_right(17) ^ x.rotate_right(19) ^ (x >> 10)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex_of(data: &[u8]) -> String {
        to_hex(&sha256(data))
    }

    // The examples of FIPS 180-4 (NIST's "SHA256.pdf" worked examples and
    // the long-message test), which RFC 6234 repeats.

    #[test]
    fn abc() {
        assert_eq!(
            hex_of(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn empty_message() {
        assert_eq!(
            hex_of(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn two_block_448_bit_message() {
        // 56 bytes: the padding's length field no longer fits, so the
        // padding takes a second block.
        let message = b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
        assert_eq!(message.len() * 8, 448);
        assert_eq!(
            hex_of(message),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        );
    }

    #[test]
    fn two_block_896_bit_message() {
        let message = b"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn\
                        hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
        assert_eq!(message.len() * 8, 896);
        assert_eq!(
            hex_of(message),
            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"
        );
    }

    #[test]
    fn one_million_a_fed_in_uneven_pieces() {
        let mut hasher = Sha256::new();
        let piece = [b'a'; 997];
        let mut left = 1_000_000;
        let mut size = 1;
        // Piece sizes 1, 2, ... 996, 1, 2, ...: they straddle block
        // boundaries at every offset.
        while left > 0 {
            let n = size.min(left);
            hasher.update(&piece[..n]);
            left -= n;
            size = size % 996 + 1;
        }
        assert_eq!(
            to_hex(&hasher.finish()),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        );
    }

    #[test]
    fn lengths_around_the_padding_boundary() {
        // 55 bytes is the longest message whose padding fits in its own
        // block; 56 and 63 need another; 64 fills a block exactly.
        // Digests from `sha256sum` of that many 'a's.
        let cases = [
            (
                55,
                "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318",
            ),
            (
                56,
                "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a",
            ),
            (
                63,
                "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34",
            ),
            (
                64,
                "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb",
            ),
        ];
        for (len, expected) in cases {
            assert_eq!(hex_of(&vec![b'a'; len]), expected, "{len} bytes");
        }
    }

    #[test]
    fn splitting_at_every_position_gives_the_same_digest() {
        let message: Vec<u8> = (0..200u8).map(|i| i.wrapping_mul(37)).collect();
        let whole = sha256(&message);
        for split in 0..=message.len() {
            let mut hasher = Sha256::new();
            hasher.update(&message[..split]);
            hasher.update(&message[split..]);
            assert_eq!(hasher.finish(), whole, "split at {split}");
        }
    }

    #[test]
    fn hex_round_trip_and_refusals() {
        let digest = sha256(b"abc");
        assert_eq!(from_hex(&to_hex(&digest)), Some(digest));
        assert_eq!(from_hex(&to_hex(&digest).to_uppercase()), Some(digest));
        assert_eq!(to_hex(&[0x00, 0x0f, 0xa0, 0xff]), "000fa0ff");
        let short = &to_hex(&digest)[..62];
        for bad in [short, "", &format!("{short}0g"), &format!("{short}+1")] {
            assert_eq!(from_hex(bad), None, "{bad:?}");
        }
    }

    /// The first `count` primes, by trial division.
    fn primes(count: usize) -> Vec<u128> {
        let mut found = Vec::new();
        let mut n = 2;
        while found.len() < count {
            if found.iter().all(|p| n % p != 0) {
                found.push(n);
            }
            n += 1;
        }
        found
    }

    /// The largest r with r^power <= n, by bisection.
    fn floor_root(n: u128, power: u32) -> u128 {
        let (mut low, mut high) = (0u128, 1u128 << 40);
        while low < high {
            let mid = (low + high).div_ceil(2);
            if mid.pow(power) <= n {
                low = mid;
            } else {
                high = mid - 1;
            }
        }
        low
    }

    #[test]
    fn constants_are_the_roots_of_primes_the_standard_says() {
        // floor(root(p) * 2^32) is the root of p * 2^(32 * power); keeping
        // its low 32 bits drops the integer part, leaving the first 32 bits
        // of the fractional part.
        let primes = primes(64);
        for (i, &p) in primes.iter().enumerate().take(8) {
            assert_eq!(floor_root(p << 64, 2) as u32, INITIAL_STATE[i], "H0[{i}]");
        }
        for (i, &p) in primes.iter().enumerate() {
            assert_eq!(floor_root(p << 96, 3) as u32, ROUND_CONSTANTS[i], "K[{i}]");
        }
    }
}
