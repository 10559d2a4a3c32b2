//! IPv4 CIDR blocks: parsing (also at compile time, for the static table),
//! membership and expansion. Every SSI range in the KB article is IPv4, so
//! this is all the address arithmetic the command needs.

use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

/// An IPv4 network in CIDR notation, such as `20.79.94.108/30`.
///
/// The address is always the network address: a block whose host bits are
/// set (`20.79.94.109/30`) is rejected rather than silently truncated, since
/// in an allow-list that is almost always a typing mistake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ipv4Cidr {
    network: Ipv4Addr,
    prefix_len: u8,
}

/// Why a text is not an IPv4 CIDR block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CidrError {
    /// There is no `/` between the address and the prefix length.
    MissingSlash,
    /// The part before `/` is not a dotted-quad IPv4 address.
    BadAddress,
    /// The part after `/` is not a number from 0 to 32.
    BadPrefixLength,
    /// The address has bits set beyond the prefix length.
    HostBitsSet,
}

impl fmt::Display for CidrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CidrError::MissingSlash => "expected ADDRESS/PREFIX, such as 20.79.94.108/30",
            CidrError::BadAddress => "the address is not a dotted-quad IPv4 address",
            CidrError::BadPrefixLength => "the prefix length is not a number from 0 to 32",
            CidrError::HostBitsSet => "the address has host bits set beyond the prefix length",
        })
    }
}

impl std::error::Error for CidrError {}

impl Ipv4Cidr {
    /// Parses `A.B.C.D/N`. A `const fn`, so that the static range table is
    /// checked by the compiler: a mistyped block there fails the build.
    ///
    /// Octets are decimal without leading zeros (as [`Ipv4Addr`]'s own parser
    /// wants: `010` is octal to some tools and decimal to others).
    pub const fn parse(text: &str) -> Result<Ipv4Cidr, CidrError> {
        let bytes = text.as_bytes();
        let mut octets = [0u8; 4];
        let mut octet_index = 0;
        let mut position = 0;
        // The four octets, each ended by '.', the last one by '/'.
        loop {
            let start = position;
            let mut value: u32 = 0;
            while position < bytes.len() && bytes[position].is_ascii_digit() {
                value = value * 10 + (bytes[position] - b'0') as u32;
                position += 1;
                if position - start > 3 {
                    return Err(CidrError::BadAddress);
                }
            }
            let digits = position - start;
            if digits == 0 || value > 255 || (digits > 1 && bytes[start] == b'0') {
                return Err(CidrError::BadAddress);
            }
            octets[octet_index] = value as u8;
            octet_index += 1;
            if octet_index == 4 {
                break;
            }
            if position >= bytes.len() || bytes[position] != b'.' {
                return Err(CidrError::BadAddress);
            }
            position += 1;
        }
        if position >= bytes.len() {
            return Err(CidrError::MissingSlash);
        }
        if bytes[position] != b'/' {
            return Err(CidrError::BadAddress);
        }
        position += 1;
        let start = position;
        let mut prefix_len: u32 = 0;
        while position < bytes.len() && bytes[position].is_ascii_digit() {
            prefix_len = prefix_len * 10 + (bytes[position] - b'0') as u32;
            position += 1;
            if position - start > 2 {
                return Err(CidrError::BadPrefixLength);
            }
        }
        if position == start || position != bytes.len() || prefix_len > 32 {
            return Err(CidrError::BadPrefixLength);
        }
        let address = u32::from_be_bytes(octets);
        if address & !mask(prefix_len as u8) != 0 {
            return Err(CidrError::HostBitsSet);
        }
        Ok(Ipv4Cidr {
            network: Ipv4Addr::new(octets[0], octets[1], octets[2], octets[3]),
            prefix_len: prefix_len as u8,
        })
    }

    /// The network (first) address.
    pub fn network(&self) -> Ipv4Addr {
        self.network
    }

    /// The prefix length, 0 to 32.
    pub fn prefix_len(&self) -> u8 {
        self.prefix_len
    }

    /// The last address of the block.
    pub fn last(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.network) | !mask(self.prefix_len))
    }

    /// How many addresses the block holds (network and broadcast included:
    /// these are Azure public-IP prefixes, every address of which is usable).
    pub fn size(&self) -> u64 {
        1u64 << (32 - u32::from(self.prefix_len))
    }

    /// Whether `address` lies in the block.
    pub fn contains(&self, address: Ipv4Addr) -> bool {
        u32::from(address) & mask(self.prefix_len) == u32::from(self.network)
    }

    /// Every address of the block, in order.
    pub fn addresses(&self) -> impl Iterator<Item = Ipv4Addr> {
        let first = u64::from(u32::from(self.network));
        // u64 bounds, so that 0.0.0.0/0 does not overflow.
        (first..first + self.size()).map(|value| Ipv4Addr::from(value as u32))
    }
}

/// The netmask of a prefix length, as a host-order integer.
const fn mask(prefix_len: u8) -> u32 {
    if prefix_len == 0 {
        0
    } else {
        u32::MAX << (32 - prefix_len as u32)
    }
}

impl FromStr for Ipv4Cidr {
    type Err = CidrError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Ipv4Cidr::parse(text.trim())
    }
}

impl fmt::Display for Ipv4Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Through a String, so that width and alignment flags apply to the whole block.
        f.pad(&format!("{}/{}", self.network, self.prefix_len))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cidr(text: &str) -> Ipv4Cidr {
        text.parse().expect("a valid block")
    }

    #[test]
    fn parses_and_prints_blocks() {
        let block = cidr("20.79.94.108/30");
        assert_eq!(block.network(), Ipv4Addr::new(20, 79, 94, 108));
        assert_eq!(block.prefix_len(), 30);
        assert_eq!(block.to_string(), "20.79.94.108/30");
        assert_eq!(format!("{block:<18}|"), "20.79.94.108/30   |");
        assert_eq!(cidr(" 0.0.0.0/0 ").size(), 1 << 32);
        assert_eq!(cidr("255.255.255.255/32").size(), 1);
    }

    #[test]
    fn rejects_what_is_not_a_block() {
        let cases = [
            ("20.79.94.108", CidrError::MissingSlash),
            ("20.79.94/30", CidrError::BadAddress),
            ("20.79.94.108.1/30", CidrError::BadAddress),
            ("20.79.94.256/32", CidrError::BadAddress),
            ("20.79.094.108/30", CidrError::BadAddress),
            ("20.79.94.1080/30", CidrError::BadAddress),
            ("20.79.94.-1/30", CidrError::BadAddress),
            ("a.b.c.d/30", CidrError::BadAddress),
            ("20.79.94.108 /30", CidrError::BadAddress),
            ("20.79.94.108/", CidrError::BadPrefixLength),
            ("20.79.94.108/33", CidrError::BadPrefixLength),
            ("20.79.94.108/030", CidrError::BadPrefixLength),
            ("20.79.94.108/30x", CidrError::BadPrefixLength),
            ("20.79.94.109/30", CidrError::HostBitsSet),
            ("20.79.94.108/29", CidrError::HostBitsSet),
            ("", CidrError::BadAddress),
        ];
        for (text, expected) in cases {
            assert_eq!(text.parse::<Ipv4Cidr>(), Err(expected), "{text:?}");
        }
    }

    #[test]
    fn membership_follows_the_prefix() {
        let block = cidr("20.79.94.108/30");
        assert!(!block.contains(Ipv4Addr::new(20, 79, 94, 107)));
        for last_octet in 108..=111 {
            assert!(block.contains(Ipv4Addr::new(20, 79, 94, last_octet)));
        }
        assert!(!block.contains(Ipv4Addr::new(20, 79, 94, 112)));
        assert_eq!(block.last(), Ipv4Addr::new(20, 79, 94, 111));
        assert!(cidr("0.0.0.0/0").contains(Ipv4Addr::new(203, 0, 113, 9)));
        let single = cidr("13.70.173.238/32");
        assert!(single.contains(Ipv4Addr::new(13, 70, 173, 238)));
        assert!(!single.contains(Ipv4Addr::new(13, 70, 173, 239)));
    }

    #[test]
    fn expansion_lists_every_address_in_order() {
        let listed: Vec<String> = cidr("20.79.101.104/30")
            .addresses()
            .map(|address| address.to_string())
            .collect();
        assert_eq!(
            listed,
            [
                "20.79.101.104",
                "20.79.101.105",
                "20.79.101.106",
                "20.79.101.107"
            ]
        );
        assert_eq!(cidr("255.255.255.254/31").addresses().count(), 2);
        assert_eq!(cidr("10.0.0.0/16").addresses().count(), 1 << 16);
    }
}
