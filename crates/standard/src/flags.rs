//! [`Flags`]: yes / no / not recorded for every value of a picklist, in two bit masks.
//!
//! Multi-select picklists and CTDC flag families are stored per record, millions of times; a
//! pair of `u64` masks makes them allocation-free. They serialise as a JSON object
//! `{"yes": ["DebtBondage"], "no": ["PhysicalAbuse"]}` in picklist order.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::vocab::Vocab;

/// Yes/no per value of `T`; a value not present is *not recorded*.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Flags<T> {
    known: u64,
    yes: u64,
    _t: PhantomData<T>,
}

impl<T> Default for Flags<T> {
    fn default() -> Self {
        Flags {
            known: 0,
            yes: 0,
            _t: PhantomData,
        }
    }
}

static TRUE: bool = true;
static FALSE: bool = false;

fn bref(b: bool) -> &'static bool {
    if b {
        &TRUE
    } else {
        &FALSE
    }
}

impl<T: Vocab> Flags<T> {
    pub fn new() -> Self {
        Self::default()
    }
    fn bit(k: T) -> u64 {
        1u64 << k.index()
    }
    pub fn is_empty(&self) -> bool {
        self.known == 0
    }
    pub fn len(&self) -> usize {
        self.known.count_ones() as usize
    }
    /// Record `k` as yes or no; returns the previous state.
    pub fn insert(&mut self, k: T, v: bool) -> Option<bool> {
        let prev = self.get(&k).copied();
        let b = Self::bit(k);
        self.known |= b;
        if v {
            self.yes |= b;
        } else {
            self.yes &= !b;
        }
        prev
    }
    /// Record `k`, a yes winning over an earlier no (two source columns may feed one value).
    pub fn merge(&mut self, k: T, v: bool) {
        let b = Self::bit(k);
        self.known |= b;
        if v {
            self.yes |= b;
        }
    }
    pub fn get(&self, k: &T) -> Option<&'static bool> {
        let b = Self::bit(*k);
        (self.known & b != 0).then(|| bref(self.yes & b != 0))
    }
    pub fn contains_key(&self, k: &T) -> bool {
        self.known & Self::bit(*k) != 0
    }
    pub fn remove(&mut self, k: &T) -> Option<bool> {
        let prev = self.get(k).copied();
        let b = Self::bit(*k);
        self.known &= !b;
        self.yes &= !b;
        prev
    }
    /// Recorded values in picklist order, as `(&value, &yes)`.
    pub fn iter(&self) -> impl Iterator<Item = (&'static T, &'static bool)> + '_ {
        let (known, yes) = (self.known, self.yes);
        T::all()
            .iter()
            .enumerate()
            .filter(move |(i, _)| known & (1u64 << i) != 0)
            .map(move |(i, k)| (k, bref(yes & (1u64 << i) != 0)))
    }
    pub fn keys(&self) -> impl Iterator<Item = &'static T> + '_ {
        self.iter().map(|(k, _)| k)
    }
    pub fn values(&self) -> impl Iterator<Item = &'static bool> + '_ {
        self.iter().map(|(_, v)| v)
    }
    /// Values recorded as yes.
    pub fn yes(&self) -> impl Iterator<Item = T> + '_ {
        self.iter().filter(|(_, &v)| v).map(|(k, _)| *k)
    }
    pub fn any_yes(&self) -> bool {
        self.yes & self.known != 0
    }
}

impl<'a, T: Vocab> IntoIterator for &'a Flags<T> {
    type Item = (&'static T, &'static bool);
    type IntoIter = Box<dyn Iterator<Item = (&'static T, &'static bool)> + 'a>;
    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}

impl<T: Vocab> std::ops::Index<&T> for Flags<T> {
    type Output = bool;
    fn index(&self, k: &T) -> &bool {
        self.get(k).expect("value not recorded in these flags")
    }
}

impl<T: Vocab> FromIterator<(T, bool)> for Flags<T> {
    fn from_iter<I: IntoIterator<Item = (T, bool)>>(it: I) -> Self {
        let mut f = Flags::new();
        for (k, v) in it {
            f.insert(k, v);
        }
        f
    }
}

impl<T: Vocab + fmt::Debug> fmt::Debug for Flags<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// Serialised compactly as `{"yes": [...], "no": [...]}` (either list omitted when empty);
/// a plain map `{"DebtBondage": true}` is accepted on input too.
impl<T: Vocab> Serialize for Flags<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct Codes<'a, T>(&'a Flags<T>, bool);
        impl<T: Vocab> Serialize for Codes<'_, T> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_seq(
                    self.0
                        .iter()
                        .filter(|(_, &v)| v == self.1)
                        .map(|(k, _)| k.code()),
                )
            }
        }
        let yes = (self.known & self.yes) != 0;
        let no = (self.known & !self.yes) != 0;
        let mut m = s.serialize_map(Some(usize::from(yes) + usize::from(no)))?;
        if yes {
            m.serialize_entry("yes", &Codes(self, true))?;
        }
        if no {
            m.serialize_entry("no", &Codes(self, false))?;
        }
        m.end()
    }
}

impl<'de, T: Vocab> Deserialize<'de> for Flags<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Entry {
            List(Vec<String>),
            One(bool),
        }
        struct V<T>(PhantomData<T>);
        impl<'de, T: Vocab> Visitor<'de> for V<T> {
            type Value = Flags<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                write!(f, "{{\"yes\": [...], \"no\": [...]}} of {} values", T::LIST)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
                let mut out = Flags::new();
                let parse = |k: &str| {
                    T::parse(k).ok_or_else(|| {
                        serde::de::Error::custom(format!("{k:?} is not a value of {}", T::LIST))
                    })
                };
                while let Some((k, v)) = a.next_entry::<String, Entry>()? {
                    match (k.as_str(), v) {
                        ("yes", Entry::List(l)) => {
                            for c in l {
                                out.insert(parse(&c)?, true);
                            }
                        }
                        ("no", Entry::List(l)) => {
                            for c in l {
                                out.insert(parse(&c)?, false);
                            }
                        }
                        (code, Entry::One(b)) => {
                            out.insert(parse(code)?, b);
                        }
                        (other, Entry::List(_)) => {
                            return Err(serde::de::Error::custom(format!(
                                "unexpected list under {other:?}"
                            )))
                        }
                    }
                }
                Ok(out)
            }
        }
        d.deserialize_map(V(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::{IsicSection, MeansOfControl};
    use proptest::prelude::*;

    #[test]
    fn three_states_and_json() {
        let mut f = Flags::<MeansOfControl>::new();
        assert!(f.is_empty());
        f.insert(MeansOfControl::PhysicalAbuse, false);
        f.insert(MeansOfControl::DebtBondage, true);
        assert_eq!(f.get(&MeansOfControl::DebtBondage), Some(&true));
        assert_eq!(f.get(&MeansOfControl::PhysicalAbuse), Some(&false));
        assert_eq!(f.get(&MeansOfControl::Other), None);
        let j = serde_json::to_string(&f).unwrap();
        assert_eq!(j, r#"{"yes":["DebtBondage"],"no":["PhysicalAbuse"]}"#);
        assert_eq!(
            serde_json::from_str::<Flags<MeansOfControl>>(&j).unwrap(),
            f
        );
        let map = r#"{"DebtBondage":true,"PhysicalAbuse":false}"#;
        assert_eq!(
            serde_json::from_str::<Flags<MeansOfControl>>(map).unwrap(),
            f
        );
        assert_eq!(
            serde_json::to_string(&Flags::<MeansOfControl>::new()).unwrap(),
            "{}"
        );
        f.merge(MeansOfControl::PhysicalAbuse, true);
        f.merge(MeansOfControl::PhysicalAbuse, false);
        assert!(f[&MeansOfControl::PhysicalAbuse]);
    }

    proptest! {
        #[test]
        fn behaves_like_a_map(ops in proptest::collection::vec((0usize..21, any::<bool>()), 0..60)) {
            let mut f = Flags::<IsicSection>::new();
            let mut m = std::collections::BTreeMap::new();
            for (i, v) in ops {
                let k = IsicSection::all()[i];
                prop_assert_eq!(f.insert(k, v), m.insert(k, v));
            }
            let a: Vec<(IsicSection, bool)> = f.iter().map(|(k, v)| (*k, *v)).collect();
            let b: Vec<(IsicSection, bool)> = m.into_iter().collect();
            prop_assert_eq!(a, b);
        }
    }
}
