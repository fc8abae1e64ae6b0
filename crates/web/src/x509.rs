//! Reads back from the data dir's certificates what re-issuing needs: the CA's subject name and key
//! identifier (to sign as that CA), a server certificate's alternative names.
//!
//! rcgen can read certificates itself (`CertificateParams::from_ca_cert_pem`), but only through its
//! `x509-parser` feature, which turns on x509-parser's `verify` and with it a second crypto stack
//! (ring). x509-parser without `verify` is already in the build for AAD's key credentials.

use anyhow::Context;
use x509_parser::der_parser::asn1_rs::Tag;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::x509::X509Name;

/// The parameters rcgen needs to sign as the CA of `ca_cert_pem`: its subject name, byte for byte
/// the same string types, and its subject key identifier (for the issued certificates' authority
/// key identifier).
pub(crate) fn issuer_params(ca_cert_pem: &str) -> anyhow::Result<rcgen::CertificateParams> {
    let der = first_certificate(ca_cert_pem).context("reading the CA certificate")?;
    let (_, ca) =
        x509_parser::parse_x509_certificate(&der).context("parsing the CA certificate")?;
    let mut params = rcgen::CertificateParams::default();
    params.distinguished_name = distinguished_name(ca.subject())?;
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let key_id = ca
        .iter_extensions()
        .find_map(|extension| match extension.parsed_extension() {
            ParsedExtension::SubjectKeyIdentifier(key_id) => Some(key_id.0.to_vec()),
            _ => None,
        });
    if let Some(key_id) = key_id {
        params.key_identifier_method = rcgen::KeyIdMethod::PreSpecified(key_id);
    }
    Ok(params)
}

/// The DNS and IP subject alternative names of a PEM certificate (other kinds are not ours).
pub(crate) fn alt_names(cert_pem: &str) -> anyhow::Result<Vec<rcgen::SanType>> {
    let der = first_certificate(cert_pem)?;
    let (_, cert) = x509_parser::parse_x509_certificate(&der).context("parsing the certificate")?;
    let Some(names) = cert
        .subject_alternative_name()
        .context("reading the alternative names")?
    else {
        return Ok(Vec::new());
    };
    let mut sans = Vec::new();
    for name in &names.value.general_names {
        match name {
            GeneralName::DNSName(name) => sans.push(rcgen::SanType::DnsName(
                name.to_string()
                    .try_into()
                    .with_context(|| format!("{name:?} is not a DNS name"))?,
            )),
            GeneralName::IPAddress(bytes) => sans.push(rcgen::SanType::IpAddress(ip(bytes)?)),
            _ => {}
        }
    }
    Ok(sans)
}

fn first_certificate(pem: &str) -> anyhow::Result<rustls_pki_types::CertificateDer<'static>> {
    rustls_pemfile::certs(&mut pem.as_bytes())
        .next()
        .context("no certificate in the PEM")?
        .context("parsing the PEM")
}

fn ip(bytes: &[u8]) -> anyhow::Result<std::net::IpAddr> {
    Ok(match bytes.len() {
        4 => <[u8; 4]>::try_from(bytes)?.into(),
        16 => <[u8; 16]>::try_from(bytes)?.into(),
        length => anyhow::bail!("an IP address of {length} bytes"),
    })
}

/// `name` as rcgen writes it again: same attributes, order and string types.
fn distinguished_name(name: &X509Name) -> anyhow::Result<rcgen::DistinguishedName> {
    let mut dn = rcgen::DistinguishedName::new();
    for attribute in name.iter_attributes() {
        let oid: Vec<u64> = attribute
            .attr_type()
            .iter()
            .context("an attribute type too long to read")?
            .collect();
        let text = || attribute.as_str().context("a name attribute is not text");
        let value = match attribute.attr_value().tag() {
            Tag::Utf8String => rcgen::DnValue::Utf8String(text()?.to_string()),
            Tag::PrintableString => rcgen::DnValue::PrintableString(text()?.try_into()?),
            Tag::Ia5String => rcgen::DnValue::Ia5String(text()?.try_into()?),
            tag => anyhow::bail!("a name attribute of type {tag} is not supported"),
        };
        dn.push(rcgen::DnType::from_oid(&oid), value);
    }
    Ok(dn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_certificate_read_back_gives_the_name_key_id_and_alt_names_rcgen_wrote() {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params =
            rcgen::CertificateParams::new(vec!["localhost".into(), "10.0.0.5".into()]).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "mimic local CA");
        params.distinguished_name.push(
            rcgen::DnType::OrganizationName,
            rcgen::DnValue::PrintableString("mimic".try_into().unwrap()),
        );
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let written = params.distinguished_name.clone();
        let cert = params.self_signed(&key).unwrap();

        let read = issuer_params(&cert.pem()).unwrap();

        assert_eq!(read.distinguished_name, written);
        assert_eq!(
            read.key_identifier_method,
            rcgen::KeyIdMethod::PreSpecified(cert.key_identifier())
        );
        assert_eq!(
            alt_names(&cert.pem()).unwrap(),
            [
                rcgen::SanType::DnsName("localhost".try_into().unwrap()),
                rcgen::SanType::IpAddress("10.0.0.5".parse().unwrap()),
            ]
        );
    }
}
