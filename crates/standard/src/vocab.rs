//! Controlled vocabularies (picklists) of the case model.
//!
//! Every picklist is a Rust enum whose variant names are the HTCDS 2.0 *value names*
//! (`Feminine`, `DebtBondage`, `A_AgricultureForestryAndFishing`, ...) and whose labels are the
//! HTCDS *value labels*. Values that only the CTDC releases know (e.g. `Transgender` without a
//! direction, `RestrictsMovement`) are declared as extensions, so a test can check that the
//! standard part of each enum equals the HTCDS picklist exactly.

use std::fmt;

/// A picklist: parse from a code or a label, print as the code.
pub trait Vocab: Sized + Copy + Ord + 'static {
    /// The HTCDS field (or CTDC column family) this picklist belongs to.
    const LIST: &'static str;
    /// Every value, standard ones first.
    fn all() -> &'static [Self];
    /// The values of the published standard (HTCDS for `prs_`/`vic_`/... lists).
    fn standard() -> &'static [Self];
    fn code(self) -> &'static str;
    fn label(self) -> &'static str;
    /// Position in [`Vocab::all`] (below 64 for every list).
    fn index(self) -> usize;
    /// Parse a value name or label, ignoring case, spaces and punctuation.
    fn parse(s: &str) -> Option<Self> {
        let s = trim(s);
        if let Some(v) = Self::all().iter().find(|v| v.code() == s || v.label() == s) {
            return Some(*v);
        }
        let key = normalise(s);
        if key.is_empty() {
            return None;
        }
        Self::all().iter().copied().find(|v| {
            same_normalised(&key, v.code())
                || same_normalised(&key, v.label())
                || strip_section(v.code()).is_some_and(|c| same_normalised(&key, c))
        })
    }
}

/// Whether `candidate`, normalised, equals the already-normalised `key` (no allocation).
fn same_normalised(key: &str, candidate: &str) -> bool {
    let mut k = key.chars();
    for c in candidate
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(|c| c.to_lowercase())
    {
        if k.next() != Some(c) {
            return false;
        }
    }
    k.next().is_none()
}

/// `str::trim` with an O(1) fast path for the common case of no surrounding whitespace.
#[inline]
pub fn trim(s: &str) -> &str {
    match (s.as_bytes().first(), s.as_bytes().last()) {
        (Some(a), Some(b)) if a.is_ascii_graphic() && b.is_ascii_graphic() => s,
        (None, _) => s,
        _ => s.trim(),
    }
}

/// Lower-case ASCII letters and digits only: "Debt bondage " == "DebtBondage".
pub fn normalise(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(|c| c.to_lowercase())
        .collect()
}

/// `A_AgricultureForestryAndFishing` → `AgricultureForestryAndFishing`.
fn strip_section(code: &str) -> Option<&str> {
    let b = code.as_bytes();
    (b.len() > 2 && b[1] == b'_' && b[0].is_ascii_uppercase()).then(|| &code[2..])
}

macro_rules! vocab {
    (
        $(#[$m:meta])*
        $name:ident ($list:literal) {
            $($var:ident => $label:literal),+ $(,)?
        }
        $(extensions { $($xvar:ident => $xlabel:literal),+ $(,)? })?
    ) => {
        $(#[$m])*
        #[allow(non_camel_case_types)]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
        pub enum $name { $($var,)+ $($($xvar,)+)? }

        impl Vocab for $name {
            const LIST: &'static str = $list;
            fn all() -> &'static [Self] { &[$($name::$var,)+ $($($name::$xvar,)+)?] }
            fn standard() -> &'static [Self] { &[$($name::$var,)+] }
            fn code(self) -> &'static str {
                match self { $($name::$var => stringify!($var),)+ $($($name::$xvar => stringify!($xvar),)+)? }
            }
            fn label(self) -> &'static str {
                match self { $($name::$var => $label,)+ $($($name::$xvar => $xlabel,)+)? }
            }
            fn index(self) -> usize { self as usize }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.code()) }
        }
    };
}

vocab! {
    /// `prs_Gender`. CTDC's `Transgender` (direction not recorded) is an extension.
    Gender ("prs_Gender") {
        Feminine => "Feminine",
        Masculine => "Masculine",
        TransgenderFeminine => "Transgender Feminine",
        TransgenderMasculine => "Transgender Masculine",
        NonConforming => "Non-Conforming",
        NonSpecifiedUnknown => "Not Specified/Unknown",
    }
    extensions {
        Transgender => "Transgender",
        TransgenderOrNonConforming => "Transgender/NonConforming",
    }
}

vocab! {
    /// `prs_MaritalStatus`.
    MaritalStatus ("prs_MaritalStatus") {
        Single => "Single",
        Married => "Married",
        Widowed => "Widowed",
        Divorced => "Divorced",
        Separated => "Separated",
        RegisteredPartnership => "Registered Partnership",
    }
}

vocab! {
    /// `prs_HighestLevelOfEducation` (ISCED 2011 levels 0-8).
    Education ("prs_HighestLevelOfEducation") {
        EarlyChildhoodEducation => "Early Childhood Education",
        PrimaryEducation => "Primary Education",
        LowerSecondaryEducation => "Lower Secondary Education",
        UpperSecondaryEducation => "Upper Secondary Education",
        PostSecondaryNonTertiaryEducation => "Post-secondary Non-tertiary Education",
        ShortCycleTertiaryEducation => "Short-cycle Tertiary Education",
        BachelorsOrEquivalentLevel => "Bachelor's or Equivalent Level",
        MastersOrEquivalentLevel => "Master's or Equivalent Level",
        DoctoralOrEquivalentLevel => "Doctoral or Equivalent Level",
    }
}

vocab! {
    /// `org_Type`.
    OrganisationType ("org_Type") {
        NGO => "NGO",
        LawEnforcement => "Law Enforcement",
        HealthServiceOrganisation => "Health Service Organisation",
        CentralGovernmentOrganisation => "Central Government Organisation",
        LocalGovernmentOrganisation => "Local Government Organisation",
        ImmigrationService => "Immigration Service",
        LegalService => "Legal Service",
        CorporateBusiness => "Corporate Business",
        SchoolOrCollege => "School or College",
    }
}

vocab! {
    /// `vic_TraffickingStatus`.
    TraffickingStatus ("vic_TraffickingStatus") {
        PossibleVictimOfTrafficking => "Possible victim of trafficking",
        ActualVictimOfTrafficking => "Actual victim of trafficking",
        NotAVictimOfTrafficking => "Not a victim of trafficking",
    }
}

vocab! {
    /// `vic_TraffickingStatusDecisionMakingOrg`.
    DecisionMakingOrg ("vic_TraffickingStatusDecisionMakingOrg") {
        Police => "Police",
        NGO => "NGO",
        CourtOrProsecution => "Court or prosecution",
        NonPoliceGovernmentalOrganization => "Non-police governmental organization",
        Other => "Other",
    }
}

vocab! {
    /// `vic_RelationshipToTrafficker` (the standard's spelling `Unaquainted` is kept).
    RelationshipToTrafficker ("vic_RelationshipToTrafficker") {
        Familial => "Familial",
        Acquainted => "Acquainted",
        Unaquainted => "Unaquainted",
    }
}

vocab! {
    /// `vic_RecruitmentWebsitesAndApps` and `vic_ExploitationWebsitesAndApps`.
    WebsiteOrApp ("vic_RecruitmentWebsitesAndApps") {
        Facebook => "Facebook",
        Instagram => "Instagram",
        WhatsApp => "WhatsApp",
        Telegram => "Telegram",
        FacebookMessenger => "Facebook Messenger",
        Viber => "Viber",
        SnapChat => "SnapChat",
        Line => "Line",
        FourSale => "4Sale",
        WeChat => "WeChat",
        QQ => "QQ",
        QZone => "QZone",
        TikTok => "TikTok",
        Twitter => "Twitter",
        Other => "Other",
    }
}

vocab! {
    /// `vic_MethodOfRecruitment`.
    RecruitmentMethod ("vic_MethodOfRecruitment") {
        AtAPlaceOfBusiness => "At a place of business",
        AtAnEducationalInstitution => "At an educational institution",
        AtWork => "At work",
        ThroughOnlineSocialNetworks => "Through online social networks",
        ThroughAnOnlineAdvertisement => "Through an online advertisement",
        ThroughATelevisionAdvert => "Through a television advert",
        ThroughANewspaperAdvert => "Through a newspaper advert",
        ThroughFamilyOrFamilyEvents => "Through family or family events",
        ThroughFriendsOrSocialEvents => "Through friends or social events",
        Other => "Other",
    }
}

vocab! {
    /// `vic_MethodsOfControl`. CTDC's `RestrictsMovement` and `NotSpecified` are extensions;
    /// CTDC `Threats` ↔ `PhysicalThreats`, `UsesChildren` ↔ `ThreatensChildrenFamily`,
    /// `ThreatOfLawEnforcement` ↔ `ThreatsLawEnforcement`, `PsychoactiveSubstances` ↔ `PsychoactiveSubstance`.
    MeansOfControl ("vic_MethodsOfControl") {
        PhysicalThreats => "Physical threats",
        ThreatsLawEnforcement => "Threats of law enforcement",
        ThreatensChildrenFamily => "Threatens children/family",
        DebtBondage => "Debt bondage",
        FalsePromises => "False promises",
        PhysicalAbuse => "Physical abuse",
        SexualAbuse => "Sexual abuse",
        TakesEarnings => "Takes earnings",
        RestrictsFinancialAccess => "Restricts financial access",
        RestrictsMedicalCare => "Restricts medical care",
        WithholdsNecessities => "Withholds necessities",
        PsychologicalAbuse => "Psychological abuse",
        PsychoactiveSubstance => "Psychoactive substance",
        ExcessiveWorkingHours => "Excessive working hours",
        WithholdsDocuments => "Withholds documents",
        Other => "Other",
    }
    extensions { RestrictsMovement => "Restricts movement", NotSpecified => "Not specified" }
}

vocab! {
    /// The merged means-of-control groups of the CTDC 2024/2025 synthetic release.
    MeansGroup ("ctdc2024_means") {
        DebtBondageEarnings => "Debt bondage or takes earnings",
        Threats => "Threats (incl. law enforcement, children/family)",
        AbusePsyPhySex => "Psychological, physical or sexual abuse",
        FalsePromises => "False promises",
        DrugsAlcohol => "Drugs or alcohol",
        DenyBasicNeeds => "Denies basic needs (money, movement, medical care, necessities)",
        ExcessiveWorkHours => "Excessive working hours",
        WithholdDocs => "Withholds documents",
    }
}

impl MeansOfControl {
    /// The CTDC 2024 group a fine-grained means falls into; `Other`/`NotSpecified` have none
    /// (they are lost when writing the 2024 format).
    pub fn group(self) -> Option<MeansGroup> {
        use MeansOfControl::*;
        Some(match self {
            DebtBondage | TakesEarnings => MeansGroup::DebtBondageEarnings,
            PhysicalThreats | ThreatsLawEnforcement | ThreatensChildrenFamily => {
                MeansGroup::Threats
            }
            PhysicalAbuse | SexualAbuse | PsychologicalAbuse => MeansGroup::AbusePsyPhySex,
            FalsePromises => MeansGroup::FalsePromises,
            PsychoactiveSubstance => MeansGroup::DrugsAlcohol,
            RestrictsFinancialAccess
            | RestrictsMovement
            | RestrictsMedicalCare
            | WithholdsNecessities => MeansGroup::DenyBasicNeeds,
            ExcessiveWorkingHours => MeansGroup::ExcessiveWorkHours,
            WithholdsDocuments => MeansGroup::WithholdDocs,
            Other | NotSpecified => return None,
        })
    }
}

vocab! {
    /// `vic_TypeOfExploitation`.
    ExploitationType ("vic_TypeOfExploitation") {
        ForcedLabour => "Forced labour",
        SexualExploitation => "Sexual exploitation",
        ChildLabour => "Child labour",
        ForcedMarriage => "Forced marriage",
        Servitude => "Servitude",
        ForcedMilitaryByNonStateActors => "Forced military (by non-state actors)",
        OrganRemoval => "Organ removal",
        ForcedBegging => "Forced begging",
        ForcedAdoption => "Forced adoption",
        Surrogacy => "Surrogacy",
        Other => "Other",
    }
}

vocab! {
    /// `vic_ForcedLabourIndustry`: ISIC Rev.4 sections.
    IsicSection ("vic_ForcedLabourIndustry") {
        A_AgricultureForestryAndFishing => "Agriculture, forestry and fishing",
        B_MiningAndQuarrying => "Mining and quarrying",
        C_Manufacturing => "Manufacturing",
        D_ElectricityGasSteamAndAirConditioningSupply => "Electricity, gas, steam and air conditioning supply",
        E_WaterSupplySewerageWasteManagement => "Water supply; sewerage, waste management and remediation",
        F_Construction => "Construction",
        G_WholesaleAndRetailTradeRepairOfMotorVehicles => "Wholesale and retail trade; repair of motor vehicles and motorcycles",
        H_TransportationAndStorage => "Transportation and storage",
        I_AccommodationAndFoodServiceActivities => "Accommodation and food service activities",
        J_InformationAndCommunication => "Information and communication",
        K_FinancialAndInsuranceActivities => "Financial and insurance activities",
        L_RealEstateActivities => "Real estate activities",
        M_ProfessionalScientificAndTechnicalActivities => "Professional, scientific and technical activities",
        N_AdministrativeAndSupportServiceActivities => "Administrative and support service activities",
        O_PublicAdministrationAndDefence => "Public administration and defence; compulsory social security",
        P_Education => "Education",
        Q_HumanHealthAndSocialWorkActivities => "Human health and social work activities",
        R_ArtsEntertainmentAndRecreation => "Arts, entertainment and recreation",
        S_OtherServiceActivities => "Other service activities",
        T_ActivitiesOfHouseholdsAsEmployers => "Activities of households as employers; undifferentiated goods- and services- producing activities of households for own use",
        U_ActivitiesOfExtraterritorialOrganizations => "Activities of extraterritorial organizations and bodies",
    }
}

impl IsicSection {
    /// The one-letter ISIC section.
    pub fn letter(self) -> char {
        self.code().as_bytes()[0] as char
    }
}

vocab! {
    /// CTDC `typeOfLabour*` activities (finer than, and not the same as, ISIC sections).
    LabourActivity ("ctdc_typeOfLabour") {
        Agriculture => "Agriculture",
        Aquafarming => "Aquafarming",
        Begging => "Begging",
        Construction => "Construction",
        DomesticWork => "Domestic work",
        Hospitality => "Hospitality",
        IllicitActivities => "Illicit activities",
        Manufacturing => "Manufacturing",
        MiningOrDrilling => "Mining or drilling",
        Peddling => "Peddling",
        Transportation => "Transportation",
        Other => "Other",
        NotSpecified => "Not specified",
    }
}

impl LabourActivity {
    /// The ISIC section an activity belongs to. Begging and illicit activities are not
    /// industries (HTCDS records begging as a type of exploitation); `Other`/`NotSpecified` have none.
    pub fn isic_section(self) -> Option<IsicSection> {
        use IsicSection::*;
        use LabourActivity as L;
        Some(match self {
            L::Agriculture | L::Aquafarming => A_AgricultureForestryAndFishing,
            L::Construction => F_Construction,
            L::DomesticWork => T_ActivitiesOfHouseholdsAsEmployers,
            L::Hospitality => I_AccommodationAndFoodServiceActivities,
            L::Manufacturing => C_Manufacturing,
            L::MiningOrDrilling => B_MiningAndQuarrying,
            L::Peddling => G_WholesaleAndRetailTradeRepairOfMotorVehicles,
            L::Transportation => H_TransportationAndStorage,
            L::Begging | L::IllicitActivities | L::Other | L::NotSpecified => return None,
        })
    }
}

vocab! {
    /// `vic_TypeOfSexExploitation`.
    SexExploitation ("vic_TypeOfSexExploitation") {
        Prostitution => "Prostitution",
        Pornography => "Pornography",
        RemoteInteractiveServices => "Remote Interactive Services",
        PrivateSexualServices => "Private Sexual Services",
    }
    extensions { Other => "Other" }
}

vocab! {
    /// `vic_Vulnerabilities`.
    Vulnerability ("vic_Vulnerabilities") {
        Addiction => "Addiction",
        SocialGroup => "Social Group",
        Discrimination => "Discrimination",
        Poverty => "Poverty",
        DisabilityAndPhysicalHealth => "Disability and physical health",
        MentalHealth => "Mental health",
        Migration => "Migration",
        Homelessness => "Homelessness",
        AbuseSocialMedia => "Abuse - social media",
        AbusePhysical => "Abuse - physical",
        Education => "Education",
        WorkEnvironment => "Work environment",
    }
}

vocab! {
    /// CTDC `recruiterRelation*` (the recruiter's relation to the victim).
    RecruiterRelation ("ctdc_recruiterRelation") {
        IntimatePartner => "Intimate partner",
        Friend => "Friend",
        Family => "Family",
        Other => "Other",
        Unknown => "Unknown",
    }
}

impl RecruiterRelation {
    /// Crosswalk to HTCDS `vic_RelationshipToTrafficker`; `Other`/`Unknown` do not map.
    pub fn htcds(self) -> Option<RelationshipToTrafficker> {
        match self {
            RecruiterRelation::Family => Some(RelationshipToTrafficker::Familial),
            RecruiterRelation::IntimatePartner | RecruiterRelation::Friend => {
                Some(RelationshipToTrafficker::Acquainted)
            }
            RecruiterRelation::Other | RecruiterRelation::Unknown => None,
        }
    }
}

vocab! {
    /// `per_RoleInProcess`.
    PerpetratorRole ("per_RoleInProcess") {
        TravellingPartner => "Travelling Partner",
        Transporter => "Transporter",
        RecruiterOrIntermediary => "Recruiter Or Intermediary",
        BrokerTravelAgent => "Broker Travel Agent",
        TransferredIndividual => "Transferred Individual",
        HarbouredIndividual => "Harboured Individual",
        SoldIndividual => "Sold Individual",
        BoughtIndividual => "Bought Individual",
        ReceivedIndividual => "Received Individual",
        ControlledIndividual => "Controlled Individual",
        Smuggler => "Smuggler",
        Abuser => "Abuser",
        Kidnapper => "Kidnapper",
        Exploiter => "Exploiter",
        Other => "Other",
    }
}

vocab! {
    /// `cas_Status`.
    CaseStatus ("cas_Status") {
        Active => "Active",
        FollowUp => "Follow Up",
        Closed => "Closed",
        ClosedReferred => "Closed Referred",
    }
}

vocab! {
    /// `cas_ReasonForIncomingReferral` / `cas_ReasonForOutgoingReferral`.
    ReferralReason ("cas_ReasonForIncomingReferral") {
        AdditionalServicesRequired => "Additional Services Required",
        MigrationOrChangeOfLocation => "Migration or Change of Location",
        Other => "Other",
    }
}

vocab! {
    /// `hte_Type`.
    EventType ("hte_Type") {
        Recruitment => "Recruitment",
        Transit => "Transit",
        Exploitation => "Exploitation",
    }
}

vocab! {
    /// `spl_Type`.
    ServiceType ("spl_Type") {
        Education => "Education",
        Financial => "Financial",
        Health => "Health",
        LabourExploitationRehabilitation => "Labour Exploitation Rehabilitation",
        Legal => "Legal",
        Livelihood => "Livelihood",
        RightsBasedTraining => "Rights-based Training",
        SexualExploitationRehabilitation => "Sexual Exploitation Rehabilitation",
        SocialCare => "Social Care",
    }
}

vocab! {
    /// CTDC broad age bands.
    AgeBand ("ctdc_ageBroad") {
        Age0To8 => "0--8",
        Age9To17 => "9--17",
        Age18To20 => "18--20",
        Age21To23 => "21--23",
        Age24To26 => "24--26",
        Age27To29 => "27--29",
        Age30To38 => "30--38",
        Age39To47 => "39--47",
        Age48Plus => "48+",
    }
    extensions { Age0To29 => "0--29" }
}

impl AgeBand {
    /// The band an exact age falls into.
    pub fn of_age(age: u8) -> AgeBand {
        match age {
            0..=8 => AgeBand::Age0To8,
            9..=17 => AgeBand::Age9To17,
            18..=20 => AgeBand::Age18To20,
            21..=23 => AgeBand::Age21To23,
            24..=26 => AgeBand::Age24To26,
            27..=29 => AgeBand::Age27To29,
            30..=38 => AgeBand::Age30To38,
            39..=47 => AgeBand::Age39To47,
            _ => AgeBand::Age48Plus,
        }
    }
    /// Minor or adult, when the band decides it.
    pub fn majority(self) -> Option<Majority> {
        match self {
            AgeBand::Age0To8 | AgeBand::Age9To17 => Some(Majority::Minor),
            AgeBand::Age0To29 => None,
            _ => Some(Majority::Adult),
        }
    }
}

vocab! {
    /// CTDC majority status (under 18 = minor).
    Majority ("ctdc_majorityStatus") {
        Adult => "Adult",
        Minor => "Minor",
    }
}

vocab! {
    /// CTDC data source of a record.
    DataSource ("ctdc_Datasource") {
        CaseManagement => "Case Management",
        Hotline => "Hotline",
    }
}

vocab! {
    /// CTDC `traffickMonths`: how long the exploitation lasted.
    DurationBand ("ctdc_traffickMonths") {
        Months0To12 => "0--12",
        Months13To24 => "13--24",
        Months25Plus => "25+",
    }
}

vocab! {
    /// UN M49 regions as CTDC's Victim-Perpetrator file uses them (Americas and Oceania merged).
    UnRegion ("ctdc_UN_Region") {
        Africa => "Africa",
        Americas => "Americas",
        Asia => "Asia",
        Europe => "Europe",
        Oceania => "Oceania",
    }
    extensions { AmericasOceania => "Americas/Oceania" }
}

vocab! {
    /// CTDC Victim-Perpetrator `IP_Relation`: relation of the involved perpetrators to the victim.
    PerpetratorRelation ("ctdc_IP_Relation") {
        FamilyIntimatePartner => "FamilyIntimatePartner",
        FriendAcquaintance => "FriendAcquaintance",
        StrangerUnknownOther => "StrangerUnknownOther",
    }
}

vocab! {
    /// Yes / No answers that may be multi-valued across perpetrators (`IP_PayMoney`).
    YesNo ("ctdc_YesNo") {
        Yes => "Yes",
        No => "No",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_codes_labels_and_loose_spellings() {
        assert_eq!(Gender::parse("Feminine"), Some(Gender::Feminine));
        assert_eq!(Gender::parse("non-conforming"), Some(Gender::NonConforming));
        assert_eq!(
            MeansOfControl::parse("Debt bondage "),
            Some(MeansOfControl::DebtBondage)
        );
        assert_eq!(
            IsicSection::parse("Agriculture, forestry and fishing"),
            Some(IsicSection::A_AgricultureForestryAndFishing)
        );
        assert_eq!(
            IsicSection::parse("AgricultureForestryAndFishing"),
            Some(IsicSection::A_AgricultureForestryAndFishing)
        );
        assert_eq!(AgeBand::parse("48+"), Some(AgeBand::Age48Plus));
        assert_eq!(AgeBand::parse("9--17"), Some(AgeBand::Age9To17));
        assert_eq!(WebsiteOrApp::parse("4Sale"), Some(WebsiteOrApp::FourSale));
        assert_eq!(Gender::parse(""), None);
        assert_eq!(Gender::parse("Robot"), None);
    }

    #[test]
    fn codes_and_labels_are_unique_within_each_list() {
        fn check<T: Vocab + std::fmt::Debug>() {
            for (i, a) in T::all().iter().enumerate() {
                for b in &T::all()[i + 1..] {
                    assert_ne!(normalise(a.code()), normalise(b.code()), "{}", T::LIST);
                    assert_ne!(normalise(a.label()), normalise(b.label()), "{}", T::LIST);
                }
                assert_eq!(T::parse(a.code()), Some(*a));
                assert_eq!(T::parse(a.label()), Some(*a));
            }
        }
        check::<Gender>();
        check::<MeansOfControl>();
        check::<IsicSection>();
        check::<ExploitationType>();
        check::<LabourActivity>();
        check::<AgeBand>();
        check::<WebsiteOrApp>();
        check::<RecruitmentMethod>();
        check::<PerpetratorRole>();
        check::<UnRegion>();
    }

    #[test]
    fn every_fine_means_of_control_but_other_has_a_2024_group() {
        for m in MeansOfControl::all() {
            let g = m.group();
            assert_eq!(
                g.is_none(),
                matches!(m, MeansOfControl::Other | MeansOfControl::NotSpecified)
            );
        }
    }
}
