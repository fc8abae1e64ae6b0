use mimic_aad::AadFixture;

#[test]
fn the_default_fixtures_aad_section_is_readable() {
    let document: serde_json::Value =
        serde_json::from_str(include_str!("../../../../fixtures/default.json")).unwrap();

    let fixture = AadFixture::from_value(&document["aad"]).unwrap();

    assert!(!fixture.service_principals.is_empty());
    let operator = &fixture.service_principals[0];
    assert_eq!(operator.service_principal_type, "Application");
    assert!(!operator.password_credentials.is_empty());
    let users: Vec<&str> = fixture
        .users
        .iter()
        .map(|u| u.user_principal_name.as_str())
        .collect();
    assert_eq!(
        users,
        [
            "admin@mimic.onmicrosoft.com",
            "learner@mimic.onmicrosoft.com"
        ]
    );
}
