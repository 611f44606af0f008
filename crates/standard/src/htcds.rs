//! HTCDS 2.0 field names → case-model fields.
//!
//! The HTCDS Excel template and XLSForm use the standard's field names as column headers
//! (`prs_Gender`, `vic_MethodsOfControl`, ...). XLSForm variants (`vic_Methods_of_Control`,
//! `prs_First_Name`) and the template's `vic_TraffickinStatusDecisionMakingOrg` typo match too,
//! because names are compared after [`normalise`](crate::vocab::normalise).
//! Direct identifiers map to [`Target::Identifier`]: they never enter the hub.

use crate::field::{Group, Target};
use crate::vocab::{normalise, EventType};

/// `(HTCDS field name, target)`; multi-select picklists map to `FlagList`.
pub fn fields() -> Vec<(&'static str, Target)> {
    use Target::*;
    vec![
        ("org_Name", OrgName),
        ("org_Type", OrgType),
        ("org_ShippingCountry", OrgCountry),
        ("org_ShippingCity", OrgCity),
        ("org_ShippingState", Extra),
        ("org_ShippingStreet", Extra),
        ("org_ShippingPostalCode", Extra),
        ("org_ShippingLongitude", Extra),
        ("org_ShippingLatitude", Extra),
        ("org_Phone", Extra),
        ("prs_Salutation", Identifier),
        ("prs_FirstName", Identifier),
        ("prs_MiddleName", Identifier),
        ("prs_SecondName", Identifier),
        ("prs_Birthdate", BirthDate),
        ("prs_Gender", Gender),
        ("prs_Deceased", Extra),
        ("prs_MaritalStatus", MaritalStatus),
        ("prs_NumberOfChildren", NumberOfChildren),
        ("prs_PrimaryLanguage", PrimaryLanguage),
        ("prs_SecondaryLanguage", Extra),
        ("prs_HighestLevelOfEducation", Education),
        ("prs_Citizenship", Citizenship),
        ("prs_IdentityNumber", Identifier),
        ("prs_Title", Identifier),
        ("prs_Email", Identifier),
        ("prs_HomePhone", Identifier),
        ("prs_MobilePhone", Identifier),
        ("prs_MailingCity", Identifier),
        ("prs_MailingCountry", Identifier),
        ("prs_MailingState", Identifier),
        ("prs_MailingStreet", Identifier),
        ("prs_MailingPostalCode", Identifier),
        ("prs_MailingLongitude", Identifier),
        ("prs_MailingLatitude", Identifier),
        ("vic_AgreementToManagePersonalData", ManagePersonalData),
        ("vic_TraffickingStatus", TraffickingStatus),
        ("vic_TraffickingStatusDecisionMakingOrg", StatusDecidedBy),
        ("vic_TraffickinStatusDecisionMakingOrg", StatusDecidedBy),
        ("vic_RelationshipToTrafficker", RelationshipToTrafficker),
        ("vic_AgeWhenTrafficked", AgeWhenTrafficked),
        (
            "vic_RecruitmentWebsitesAndApps",
            FlagList(Group::RecruitmentApp),
        ),
        (
            "vic_MethodOfRecruitment",
            FlagList(Group::RecruitmentMethod),
        ),
        (
            "vic_LocationOfRecruitment",
            EventPlace(EventType::Recruitment),
        ),
        ("vic_MethodsOfControl", FlagList(Group::MeansOfControl)),
        ("vic_TypeOfExploitation", FlagList(Group::Exploitation)),
        ("vic_ForcedLabourIndustry", FlagList(Group::Industry)),
        (
            "vic_TypeOfSexExploitation",
            FlagList(Group::SexExploitation),
        ),
        (
            "vic_LocationOfExploitation",
            EventPlace(EventType::Exploitation),
        ),
        (
            "vic_ExploitationWebsitesAndApps",
            FlagList(Group::ExploitationApp),
        ),
        ("vic_Vulnerabilities", FlagList(Group::Vulnerability)),
        ("vic_DetailsOfVulnerabilities", Extra),
        ("per_RoleInProcess", FlagList(Group::PerpetratorRole)),
        ("per_RoleDetails", PerpetratorDetails),
        ("cas_Status", CaseStatus),
        ("cas_ReasonForCaseClosure", ReasonForClosure),
        ("cas_CaseOwner", Identifier),
        ("cas_ReferringOrganisation", ReferringOrganisation),
        ("cas_IncomingReferralDate", IncomingReferralDate),
        ("cas_ReferringPrimaryCaseWorker", Identifier),
        ("cas_ReasonForIncomingReferral", IncomingReferralReason),
        ("cas_IncomingReferralDetails", Extra),
        ("cas_ReferredOrganisation", ReferredOrganisation),
        ("cas_ReferredPrimaryCaseWorker", Identifier),
        ("cas_ReasonForOutgoingReferral", OutgoingReferralReason),
        ("cas_OutgoingReferralDate", OutgoingReferralDate),
        ("cas_OutgoingReferralDetails", Extra),
        ("cco_CaseComment", Extra),
        ("hte_Longitude", EventLongitude(EventType::Exploitation)),
        ("hte_Latitude", EventLatitude(EventType::Exploitation)),
        ("hte_City", EventCity(EventType::Exploitation)),
        ("hte_Country", EventCountry(EventType::Exploitation)),
        ("hte_State", EventState(EventType::Exploitation)),
        ("hte_Street", Identifier),
        ("hte_PostalCode", Extra),
        ("hte_Date", EventDate(EventType::Exploitation)),
        ("hte_Type", Ignore),
        ("hte_Description", Extra),
        ("spl_Objectives", Extra),
        ("spl_ActionPlan", Extra),
        ("spl_PlannedEndDate", Extra),
        ("spl_ActualEndDate", Extra),
        ("spl_Type", FlagList(Group::Service)),
        ("con_Consent", Consent),
    ]
}

/// The target of an HTCDS column header (XLSForm group paths like `grp/vic_X` are stripped).
pub fn target_of(header: &str) -> Option<Target> {
    let last = header.rsplit(['/', ':']).next().unwrap_or(header);
    let key = normalise(last);
    fields()
        .into_iter()
        .find(|(n, _)| normalise(n) == key)
        .map(|(_, t)| t)
}

/// Whether a header looks like an HTCDS field name.
pub fn is_htcds_name(header: &str) -> bool {
    let last = header.rsplit(['/', ':']).next().unwrap_or(header);
    [
        "org_", "prs_", "vic_", "per_", "cas_", "cco_", "hte_", "spl_", "con_",
    ]
    .iter()
    .any(|p| last.starts_with(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variants_and_typos_resolve() {
        assert_eq!(
            target_of("vic_Methods_of_Control"),
            Some(Target::FlagList(Group::MeansOfControl))
        );
        assert_eq!(target_of("prs_First_Name"), Some(Target::Identifier));
        assert_eq!(
            target_of("case/vic_TraffickinStatusDecisionMakingOrg"),
            Some(Target::StatusDecidedBy)
        );
        assert_eq!(target_of("start"), None);
        assert!(is_htcds_name("grp/prs_Gender"));
    }
}
