//! The flat CTDC release schemas, as published by the Counter Trafficking Data Collaborative.
//!
//! Column names and their order are facts taken from the CTDC data dictionaries:
//! the 2018 k-anonymised global dataset (63 columns: the dictionary's 62 variables plus `isSlaveryAndPractices`, which the published files carry), the 2021 synthetic dataset (TSV),
//! the 2024/2025 synthetic dataset (27 columns, CSV) and the Victim-Perpetrator condensed
//! synthetic dataset (16 columns). How each column maps onto the case model lives in
//! [`crate::crosswalk`].

/// Which flat CTDC schema a file follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CtdcSchema {
    /// CTDC global dataset, k-anonymised (dictionary of 15 Aug 2018, plus `isSlaveryAndPractices` as
    /// published): 63 columns.
    Kanon2018,
    /// CTDC global synthetic dataset, 2021 release (tab-separated, fine-grained flags).
    Synthetic2021,
    /// CTDC global synthetic dataset, 2024/2025 release: 27 columns with merged means of control.
    Synthetic2024,
    /// CTDC Victim-Perpetrator condensed synthetic dataset: 16 columns, `;` multi-values.
    VictimPerpetrator,
}

impl CtdcSchema {
    pub const ALL: [CtdcSchema; 4] = [
        CtdcSchema::Kanon2018,
        CtdcSchema::Synthetic2021,
        CtdcSchema::Synthetic2024,
        CtdcSchema::VictimPerpetrator,
    ];

    pub fn name(self) -> &'static str {
        match self {
            CtdcSchema::Kanon2018 => "ctdc-kanon-2018",
            CtdcSchema::Synthetic2021 => "ctdc-synthetic-2021",
            CtdcSchema::Synthetic2024 => "ctdc-synthetic-2024",
            CtdcSchema::VictimPerpetrator => "ctdc-vp",
        }
    }

    pub fn columns(self) -> &'static [&'static str] {
        match self {
            CtdcSchema::Kanon2018 => KANON_2018_COLUMNS,
            CtdcSchema::Synthetic2021 => SYNTHETIC_2021_COLUMNS,
            CtdcSchema::Synthetic2024 => SYNTHETIC_2024_COLUMNS,
            CtdcSchema::VictimPerpetrator => VP_COLUMNS,
        }
    }

    /// The field delimiter the published files use.
    pub fn delimiter(self) -> u8 {
        match self {
            CtdcSchema::Synthetic2021 => b'\t',
            _ => b',',
        }
    }
}

/// CTDC global dataset, k-anonymised, in published order: the 62 variables of the data dictionary
/// (version 15082018) and `isSlaveryAndPractices`, which the published files add after `isOrganRemoval`.
pub const KANON_2018_COLUMNS: &[&str] = &[
    "yearOfRegistration",
    "Datasource",
    "gender",
    "ageBroad",
    "majorityStatus",
    "majorityStatusAtExploit",
    "majorityEntry",
    "citizenship",
    "meansOfControlDebtBondage",
    "meansOfControlTakesEarnings",
    "meansOfControlRestrictsFinancialAccess",
    "meansOfControlThreats",
    "meansOfControlPsychologicalAbuse",
    "meansOfControlPhysicalAbuse",
    "meansOfControlSexualAbuse",
    "meansOfControlFalsePromises",
    "meansOfControlPsychoactiveSubstances",
    "meansOfControlRestrictsMovement",
    "meansOfControlRestrictsMedicalCare",
    "meansOfControlExcessiveWorkingHours",
    "meansOfControlUsesChildren",
    "meansOfControlThreatOfLawEnforcement",
    "meansOfControlWithholdsNecessities",
    "meansOfControlWithholdsDocuments",
    "meansOfControlOther",
    "meansOfControlNotSpecified",
    "meansOfControlConcatenated",
    "isForcedLabour",
    "isSexualExploit",
    "isOtherExploit",
    "isSexAndLabour",
    "isForcedMarriage",
    "isForcedMilitary",
    "isOrganRemoval",
    "isSlaveryAndPractices",
    "typeOfExploitConcatenated",
    "typeOfLabourAgriculture",
    "typeOfLabourAquafarming",
    "typeOfLabourBegging",
    "typeOfLabourConstruction",
    "typeOfLabourDomesticWork",
    "typeOfLabourHospitality",
    "typeOfLabourIllicitActivities",
    "typeOfLabourManufacturing",
    "typeOfLabourMiningOrDrilling",
    "typeOfLabourPeddling",
    "typeOfLabourTransportation",
    "typeOfLabourOther",
    "typeOfLabourNotSpecified",
    "typeOfLabourConcatenated",
    "typeOfSexProstitution",
    "typeOfSexPornography",
    "typeOfSexRemoteInteractiveServices",
    "typeOfSexPrivateSexualServices",
    "typeOfSexConcatenated",
    "isAbduction",
    "RecruiterRelationship",
    "CountryOfExploitation",
    "recruiterRelationIntimatePartner",
    "recruiterRelationFriend",
    "recruiterRelationFamily",
    "recruiterRelationOther",
    "recruiterRelationUnknown",
];

/// CTDC global synthetic dataset 2021: the fine-grained flags of 2018 without the
/// concatenated and data-source columns, plus the trafficking duration band.
pub const SYNTHETIC_2021_COLUMNS: &[&str] = &[
    "yearOfRegistration",
    "gender",
    "ageBroad",
    "majorityStatus",
    "majorityStatusAtExploit",
    "majorityEntry",
    "citizenship",
    "CountryOfExploitation",
    "traffickMonths",
    "meansOfControlDebtBondage",
    "meansOfControlTakesEarnings",
    "meansOfControlRestrictsFinancialAccess",
    "meansOfControlThreats",
    "meansOfControlPsychologicalAbuse",
    "meansOfControlPhysicalAbuse",
    "meansOfControlSexualAbuse",
    "meansOfControlFalsePromises",
    "meansOfControlPsychoactiveSubstances",
    "meansOfControlRestrictsMovement",
    "meansOfControlRestrictsMedicalCare",
    "meansOfControlExcessiveWorkingHours",
    "meansOfControlUsesChildren",
    "meansOfControlThreatOfLawEnforcement",
    "meansOfControlWithholdsNecessities",
    "meansOfControlWithholdsDocuments",
    "meansOfControlOther",
    "isForcedLabour",
    "isSexualExploit",
    "isOtherExploit",
    "typeOfLabourAgriculture",
    "typeOfLabourConstruction",
    "typeOfLabourDomesticWork",
    "typeOfLabourHospitality",
    "typeOfLabourOther",
    "typeOfSexProstitution",
    "typeOfSexPornography",
    "typeOfSexOther",
    "recruiterRelationIntimatePartner",
    "recruiterRelationFriend",
    "recruiterRelationFamily",
    "recruiterRelationOther",
];

/// CTDC global synthetic dataset 2024/2025 (codebook v2024): 27 columns.
pub const SYNTHETIC_2024_COLUMNS: &[&str] = &[
    "yearOfRegistration",
    "gender",
    "ageBroad",
    "citizenship",
    "CountryOfExploitation",
    "traffickMonths",
    "meansDebtBondageEarnings",
    "meansThreats",
    "meansAbusePsyPhySex",
    "meansFalsePromises",
    "meansDrugsAlcohol",
    "meansDenyBasicNeeds",
    "meansExcessiveWorkHours",
    "meansWithholdDocs",
    "isForcedLabour",
    "isSexualExploit",
    "isOtherExploit",
    "typeOfLabourAgriculture",
    "typeOfLabourConstruction",
    "typeOfLabourDomesticWork",
    "typeOfLabourHospitality",
    "typeOfSexProstitution",
    "typeOfSexPornography",
    "recruiterRelationIntimatePartner",
    "recruiterRelationFriend",
    "recruiterRelationFamily",
    "recruiterRelationOther",
];

/// CTDC Victim-Perpetrator condensed synthetic dataset (dictionary of 1 Dec 2022).
pub const VP_COLUMNS: &[&str] = &[
    "yearRegister",
    "gender",
    "majorityStatus",
    "isForcedLabour",
    "isSexualExploit",
    "UN_COO_Region",
    "UN_COE_Region",
    "IP_Exploiter",
    "IP_Gender",
    "IP_ageBroad",
    "IP_citizen_UNRegion",
    "IP_Relation",
    "IP_PayMoney",
    "IP_RecruiterBroker",
    "IP_TransactionProcess",
    "IP_ControlAbuseKidnap",
];

/// CTDC broad age bands, in order.
pub const AGE_BANDS: &[&str] = &[
    "0--8", "9--17", "18--20", "21--23", "24--26", "27--29", "30--38", "39--47", "48+",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_counts_match_the_dictionaries() {
        assert_eq!(KANON_2018_COLUMNS.len(), 63);
        assert_eq!(SYNTHETIC_2024_COLUMNS.len(), 27);
        assert_eq!(VP_COLUMNS.len(), 16);
        for s in CtdcSchema::ALL {
            let mut seen = std::collections::HashSet::new();
            for c in s.columns() {
                assert!(seen.insert(*c), "{} repeats column {c}", s.name());
            }
        }
    }
}
