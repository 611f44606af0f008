//! Column positions in the 2018 k-anonymised layout and the labels of the flag groups.
//!
//! Positions are looked up by name in [`KANON_2018_COLUMNS`] at compile time, so a renamed or
//! reordered column in `cthub-standard` breaks the build here instead of silently shifting cells.

use cthub_standard::ctdc::KANON_2018_COLUMNS;

/// Number of cells in one k-anonymised row.
pub const KANON_2018_WIDTH: usize = KANON_2018_COLUMNS.len();

const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Position of `name` in [`KANON_2018_COLUMNS`], if it is there.
pub(crate) const fn position(name: &str) -> Option<usize> {
    let mut i = 0;
    while i < KANON_2018_COLUMNS.len() {
        if same(KANON_2018_COLUMNS[i], name) {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// Position of `name` in [`KANON_2018_COLUMNS`]; a compile-time error when it is absent.
pub(crate) const fn col(name: &str) -> usize {
    match position(name) {
        Some(i) => i,
        None => panic!("column missing from KANON_2018_COLUMNS"),
    }
}

pub(crate) const YEAR: usize = col("yearOfRegistration");
pub(crate) const DATASOURCE: usize = col("Datasource");
pub(crate) const GENDER: usize = col("gender");
pub(crate) const AGE_BROAD: usize = col("ageBroad");
pub(crate) const MAJORITY: usize = col("majorityStatus");
pub(crate) const MAJORITY_AT_EXPLOIT: usize = col("majorityStatusAtExploit");
pub(crate) const MAJORITY_ENTRY: usize = col("majorityEntry");
pub(crate) const CITIZENSHIP: usize = col("citizenship");
pub(crate) const MEANS_CONCAT: usize = col("meansOfControlConcatenated");
pub(crate) const EXPLOIT_CONCAT: usize = col("typeOfExploitConcatenated");
pub(crate) const LABOUR_CONCAT: usize = col("typeOfLabourConcatenated");
pub(crate) const SEX_CONCAT: usize = col("typeOfSexConcatenated");
pub(crate) const ABDUCTION: usize = col("isAbduction");
pub(crate) const RECRUITER_TEXT: usize = col("RecruiterRelationship");
pub(crate) const EXPLOITATION_COUNTRY: usize = col("CountryOfExploitation");

/// `isSlaveryAndPractices` appears in the published CSV files (after `isOrganRemoval`) but not in
/// the 15 Aug 2018 dictionary. When the column list carries it, the generator fills it like an
/// exploitation flag that is never set (`0`, or the missing marker when the type is unknown).
pub(crate) const SLAVERY_COLUMN: &str = "isSlaveryAndPractices";
pub(crate) const SLAVERY_LABEL: &str = "Slavery and similar practices";
pub(crate) const SLAVERY: Option<usize> = position(SLAVERY_COLUMN);

/// A run of adjacent 0/1 flag columns that is recorded, or missing, as a whole.
#[derive(Debug, Clone, Copy)]
pub struct FlagGroup {
    /// `(column name, label used in the concatenated column)`, in published column order.
    pub flags: &'static [(&'static str, &'static str)],
    /// Position of the first flag in the row.
    pub start: usize,
    /// The `*Concatenated` column that lists the labels of the flags set to 1, if the group has one.
    pub concat: Option<usize>,
    /// Flags (bit `i` = `flags[i]`) that are derived from others and therefore left out of the
    /// concatenated column (only `isSexAndLabour`).
    pub concat_excluded: u32,
}

impl FlagGroup {
    const fn new(
        flags: &'static [(&'static str, &'static str)],
        concat: Option<usize>,
        concat_excluded: u32,
    ) -> Self {
        let start = col(flags[0].0);
        let mut i = 1;
        while i < flags.len() {
            assert!(col(flags[i].0) == start + i, "flag group is not contiguous");
            i += 1;
        }
        assert!(flags.len() <= 32, "flag group wider than a u32 mask");
        FlagGroup {
            flags,
            start,
            concat,
            concat_excluded,
        }
    }

    /// Bit mask with every flag of the group set.
    pub const fn full_mask(&self) -> u32 {
        if self.flags.len() == 32 {
            u32::MAX
        } else {
            (1u32 << self.flags.len()) - 1
        }
    }
}

// Bit positions inside the groups, used by the generator.
pub(crate) mod means {
    pub const DEBT_BONDAGE: usize = 0;
    pub const PHYSICAL_ABUSE: usize = 5;
    pub const SEXUAL_ABUSE: usize = 6;
    pub const NOT_SPECIFIED: usize = 17;
    /// Specific means (everything but `NotSpecified`).
    pub const SPECIFIC: usize = 17;
}

pub(crate) mod exploit {
    pub const LABOUR: usize = 0;
    pub const SEXUAL: usize = 1;
    pub const OTHER: usize = 2;
    pub const SEX_AND_LABOUR: usize = 3;
    pub const MARRIAGE: usize = 4;
    pub const MILITARY: usize = 5;
    pub const ORGAN: usize = 6;
}

pub(crate) mod labour {
    pub const AQUAFARMING: usize = 1;
    pub const CONSTRUCTION: usize = 3;
    pub const DOMESTIC_WORK: usize = 4;
    pub const NOT_SPECIFIED: usize = 12;
    /// Specific sectors (everything but `NotSpecified`).
    pub const SPECIFIC: usize = 12;
}

pub(crate) mod sex {
    pub const PORNOGRAPHY: usize = 1;
    pub const REMOTE_INTERACTIVE: usize = 2;
    pub const PRIVATE_SERVICES: usize = 3;
}

pub(crate) mod recruiter {
    pub const INTIMATE_PARTNER: usize = 0;
    pub const FAMILY: usize = 2;
    pub const OTHER: usize = 3;
    pub const UNKNOWN: usize = 4;
}

/// `meansOfControl*` flags and `meansOfControlConcatenated`.
pub const MEANS_OF_CONTROL: FlagGroup = FlagGroup::new(
    &[
        ("meansOfControlDebtBondage", "Debt bondage"),
        ("meansOfControlTakesEarnings", "Takes earnings"),
        (
            "meansOfControlRestrictsFinancialAccess",
            "Restricts financial access",
        ),
        ("meansOfControlThreats", "Threats"),
        ("meansOfControlPsychologicalAbuse", "Psychological abuse"),
        ("meansOfControlPhysicalAbuse", "Physical abuse"),
        ("meansOfControlSexualAbuse", "Sexual abuse"),
        ("meansOfControlFalsePromises", "False promises"),
        (
            "meansOfControlPsychoactiveSubstances",
            "Psychoactive substances",
        ),
        ("meansOfControlRestrictsMovement", "Restricts movement"),
        (
            "meansOfControlRestrictsMedicalCare",
            "Restricts medical care",
        ),
        (
            "meansOfControlExcessiveWorkingHours",
            "Excessive working hours",
        ),
        ("meansOfControlUsesChildren", "Uses children"),
        (
            "meansOfControlThreatOfLawEnforcement",
            "Threat of law enforcement",
        ),
        (
            "meansOfControlWithholdsNecessities",
            "Withholds necessities",
        ),
        ("meansOfControlWithholdsDocuments", "Withholds documents"),
        ("meansOfControlOther", "Other"),
        ("meansOfControlNotSpecified", "Not specified"),
    ],
    Some(MEANS_CONCAT),
    0,
);

/// `is*` exploitation flags and `typeOfExploitConcatenated` (which leaves out the derived
/// `isSexAndLabour`: a combined case reads `Forced labour;Sexual exploitation`).
pub const EXPLOITATION: FlagGroup = FlagGroup::new(
    &[
        ("isForcedLabour", "Forced labour"),
        ("isSexualExploit", "Sexual exploitation"),
        ("isOtherExploit", "Other"),
        ("isSexAndLabour", "Sexual and labour exploitation"),
        ("isForcedMarriage", "Forced marriage"),
        ("isForcedMilitary", "Forced military"),
        ("isOrganRemoval", "Organ removal"),
    ],
    Some(EXPLOIT_CONCAT),
    1 << exploit::SEX_AND_LABOUR,
);

/// `typeOfLabour*` flags and `typeOfLabourConcatenated`.
pub const LABOUR_SECTORS: FlagGroup = FlagGroup::new(
    &[
        ("typeOfLabourAgriculture", "Agriculture"),
        ("typeOfLabourAquafarming", "Aquafarming"),
        ("typeOfLabourBegging", "Begging"),
        ("typeOfLabourConstruction", "Construction"),
        ("typeOfLabourDomesticWork", "Domestic work"),
        ("typeOfLabourHospitality", "Hospitality"),
        ("typeOfLabourIllicitActivities", "Illicit activities"),
        ("typeOfLabourManufacturing", "Manufacturing"),
        ("typeOfLabourMiningOrDrilling", "Mining or drilling"),
        ("typeOfLabourPeddling", "Peddling"),
        ("typeOfLabourTransportation", "Transportation"),
        ("typeOfLabourOther", "Other"),
        ("typeOfLabourNotSpecified", "Not specified"),
    ],
    Some(LABOUR_CONCAT),
    0,
);

/// `typeOfSex*` flags and `typeOfSexConcatenated`.
pub const SEX_TYPES: FlagGroup = FlagGroup::new(
    &[
        ("typeOfSexProstitution", "Prostitution"),
        ("typeOfSexPornography", "Pornography"),
        (
            "typeOfSexRemoteInteractiveServices",
            "Remote interactive services",
        ),
        ("typeOfSexPrivateSexualServices", "Private sexual services"),
    ],
    Some(SEX_CONCAT),
    0,
);

/// `recruiterRelation*` flags. They have no concatenated column; the labels are the values the
/// hotline's free-text `RecruiterRelationship` column uses.
pub const RECRUITER_RELATIONS: FlagGroup = FlagGroup::new(
    &[
        ("recruiterRelationIntimatePartner", "Intimate partner"),
        ("recruiterRelationFriend", "Friend"),
        ("recruiterRelationFamily", "Family member"),
        ("recruiterRelationOther", "Other"),
        ("recruiterRelationUnknown", "Unknown"),
    ],
    None,
    0,
);

/// Every flag group of the 2018 layout, in column order.
pub const FLAG_GROUPS: [FlagGroup; 5] = [
    MEANS_OF_CONTROL,
    EXPLOITATION,
    LABOUR_SECTORS,
    SEX_TYPES,
    RECRUITER_RELATIONS,
];

/// The label a flag column contributes to its `*Concatenated` column (or, for
/// `recruiterRelation*`, to `RecruiterRelationship`); `""` for a column that is not a flag.
///
/// | group | column suffix → label |
/// |---|---|
/// | `meansOfControl*` | `DebtBondage` Debt bondage, `TakesEarnings` Takes earnings, `RestrictsFinancialAccess` Restricts financial access, `Threats` Threats, `PsychologicalAbuse` Psychological abuse, `PhysicalAbuse` Physical abuse, `SexualAbuse` Sexual abuse, `FalsePromises` False promises, `PsychoactiveSubstances` Psychoactive substances, `RestrictsMovement` Restricts movement, `RestrictsMedicalCare` Restricts medical care, `ExcessiveWorkingHours` Excessive working hours, `UsesChildren` Uses children, `ThreatOfLawEnforcement` Threat of law enforcement, `WithholdsNecessities` Withholds necessities, `WithholdsDocuments` Withholds documents, `Other` Other, `NotSpecified` Not specified |
/// | `is*` | `ForcedLabour` Forced labour, `SexualExploit` Sexual exploitation, `OtherExploit` Other, `SexAndLabour` Sexual and labour exploitation (never concatenated: derived), `ForcedMarriage` Forced marriage, `ForcedMilitary` Forced military, `OrganRemoval` Organ removal |
/// | `typeOfLabour*` | `Agriculture` Agriculture, `Aquafarming` Aquafarming, `Begging` Begging, `Construction` Construction, `DomesticWork` Domestic work, `Hospitality` Hospitality, `IllicitActivities` Illicit activities, `Manufacturing` Manufacturing, `MiningOrDrilling` Mining or drilling, `Peddling` Peddling, `Transportation` Transportation, `Other` Other, `NotSpecified` Not specified |
/// | `typeOfSex*` | `Prostitution` Prostitution, `Pornography` Pornography, `RemoteInteractiveServices` Remote interactive services, `PrivateSexualServices` Private sexual services |
/// | `recruiterRelation*` | `IntimatePartner` Intimate partner, `Friend` Friend, `Family` Family member, `Other` Other, `Unknown` Unknown |
///
/// `isSlaveryAndPractices` (in the published files, not in the 2018 dictionary) has the label
/// `Slavery and similar practices`.
///
/// Labels are joined with `;` in column order (which is what the published files show, e.g.
/// `Other;Not specified`), not re-sorted.
pub fn concat_label(column: &str) -> &'static str {
    FLAG_GROUPS
        .iter()
        .flat_map(|g| g.flags.iter())
        .find(|(name, _)| *name == column)
        .map_or(
            if column == SLAVERY_COLUMN {
                SLAVERY_LABEL
            } else {
                ""
            },
            |(_, label)| label,
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_follow_the_published_order() {
        assert_eq!(KANON_2018_COLUMNS[YEAR], "yearOfRegistration");
        assert_eq!(
            KANON_2018_COLUMNS[EXPLOITATION_COUNTRY],
            "CountryOfExploitation"
        );
        let flag_cells: usize = FLAG_GROUPS.iter().map(|g| g.flags.len()).sum();
        let concat_cells = FLAG_GROUPS.iter().filter(|g| g.concat.is_some()).count();
        // 11 scalar columns + the flags + the concatenated columns (+ isSlaveryAndPractices when
        // the list has it) = the whole row: no column is left to the generic missing filler.
        let slavery = usize::from(SLAVERY.is_some());
        assert_eq!(11 + flag_cells + concat_cells + slavery, KANON_2018_WIDTH);
    }

    #[test]
    fn every_flag_has_a_distinct_label_within_its_group() {
        for g in FLAG_GROUPS {
            for (i, (name, label)) in g.flags.iter().enumerate() {
                assert_eq!(concat_label(name), *label);
                assert!(!label.contains(';') && !label.contains(','));
                assert!(g.flags[..i].iter().all(|(_, l)| l != label));
            }
        }
        assert_eq!(concat_label("gender"), "");
    }
}
