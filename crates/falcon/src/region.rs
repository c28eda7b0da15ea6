//! Falcon cloud regions and their API base URLs.

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Region {
    Us1,
    Us2,
    Eu1,
    UsGov1,
    UsGov2,
    Us3,
}

impl Region {
    pub const ALL: [Region; 6] = [
        Region::Us1,
        Region::Us2,
        Region::Eu1,
        Region::UsGov1,
        Region::UsGov2,
        Region::Us3,
    ];

    /// The name Falcon uses in `X-Cs-Region` and we use in `FALCON_CLOUD`.
    pub fn as_str(self) -> &'static str {
        match self {
            Region::Us1 => "us-1",
            Region::Us2 => "us-2",
            Region::Eu1 => "eu-1",
            Region::UsGov1 => "us-gov-1",
            Region::UsGov2 => "us-gov-2",
            Region::Us3 => "us-3",
        }
    }

    pub fn base_url(self) -> &'static str {
        match self {
            Region::Us1 => "https://api.crowdstrike.com",
            Region::Us2 => "https://api.us-2.crowdstrike.com",
            Region::Eu1 => "https://api.eu-1.crowdstrike.com",
            Region::UsGov1 => "https://api.laggar.gcw.crowdstrike.com",
            Region::UsGov2 => "https://api.us-gov-2.crowdstrike.mil",
            Region::Us3 => "https://api.us-3.crowdstrike.com",
        }
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown Falcon cloud '{0}'; expected one of us-1, us-2, eu-1, us-gov-1, us-gov-2, us-3")]
pub struct UnknownRegion(pub String);

impl FromStr for Region {
    type Err = UnknownRegion;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase().replace('_', "-");
        Region::ALL
            .into_iter()
            .find(|r| r.as_str() == wanted)
            .ok_or_else(|| UnknownRegion(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_region_and_rejects_others() {
        for r in Region::ALL {
            assert_eq!(r.as_str().parse::<Region>(), Ok(r));
        }
        assert_eq!("US-GOV-1".parse::<Region>(), Ok(Region::UsGov1));
        assert!("eu-2".parse::<Region>().is_err());
    }
}
