use telemetry_core::endpoint::{ServerBase, ServerUrlError};
use telemetry_core::format;
use telemetry_core::protocol::{Artifact, ArtifactKind};

#[test]
fn same_origin_and_typed_servers_give_sockets_and_api_urls() {
    let own = ServerBase::from_origin("http://127.0.0.1:8080").expect("origin");
    assert_eq!(
        own.telemetry_socket("abc"),
        "ws://127.0.0.1:8080/telemetry?clientId=abc"
    );
    assert_eq!(
        own.comfy_socket("abc"),
        "ws://127.0.0.1:8080/ws?clientId=abc"
    );
    assert_eq!(own.api("queue"), "http://127.0.0.1:8080/api/queue");
    let typed = ServerBase::parse(" 192.168.1.5:8188/ ").expect("bare host");
    assert_eq!(typed.http(), "http://192.168.1.5:8188");
    let secure = ServerBase::parse("https://gpu.example/comfy/ws?x=1").expect("proxy path");
    assert_eq!(
        secure.comfy_socket("c"),
        "wss://gpu.example/comfy/ws?clientId=c"
    );
    assert_eq!(
        secure.api("/system_stats"),
        "https://gpu.example/comfy/api/system_stats"
    );
    assert_eq!(ServerBase::parse(""), Err(ServerUrlError::Empty));
    assert!(ServerBase::parse("javascript:alert(1)//x").is_err());
    assert!(matches!(
        ServerBase::parse("file:///etc"),
        Err(ServerUrlError::Scheme(_))
    ));
    assert!(matches!(
        ServerBase::parse("http://a b"),
        Err(ServerUrlError::BadCharacter)
    ));
}

#[test]
fn view_urls_encode_every_part() {
    let base = ServerBase::parse("http://h:1").expect("base");
    let a = Artifact {
        node_id: "9".into(),
        kind: ArtifactKind::Image,
        filename: "my image&x=1#2+.png".into(),
        subfolder: "a/b c".into(),
        folder_type: "temp".into(),
        format: None,
        text: None,
        animated: false,
    };
    assert_eq!(
        base.view(&a),
        "http://h:1/api/view?filename=my%20image%26x%3D1%232%2B.png&subfolder=a%2Fb%20c&type=temp"
    );
}

#[test]
fn formats_match_the_contract() {
    assert_eq!(format::duration_ms(45_210.0), "45.2s");
    assert_eq!(format::duration_ms(185_000.0), "3m 05s");
    assert_eq!(format::age_ms(400.0), "now");
    assert_eq!(format::age_ms(3_400.0), "3s ago");
    assert_eq!(format::age_ms(7_260_000.0), "2h 1m ago");
    assert_eq!(format::signed_mb(-603_979_776.0), "-576 MB");
    assert_eq!(format::signed_mb(1048576.0 * 3.0), "+3 MB");
    assert_eq!(format::number(10.0), "10");
    assert_eq!(format::number(0.25), "0.25");
    assert_eq!(format::or_na(Some(45_210.0), format::duration_ms), "45.2s");
    assert_eq!(format::or_na(None, format::duration_ms), "n/a");
    assert_eq!(
        format::short_id("f265f327-46cd-4648-b93f-013611d81e1b"),
        "f265f327"
    );
    assert_eq!(
        format::short_id("test/scene-001"),
        "test/scene-001",
        "non-UUID ids are shown whole"
    );
}

/// A progress bar's fill is a transform the compositor animates; a server's odd fraction (past
/// 1, negative, NaN) never draws outside the bar.
#[test]
fn a_bar_fill_is_a_clamped_scale() {
    assert_eq!(format::scale_x(0.42351), "scaleX(0.4235)");
    assert_eq!(format::scale_x(1.0), "scaleX(1.0000)");
    assert_eq!(format::scale_x(2.5), "scaleX(1.0000)");
    assert_eq!(format::scale_x(-0.1), "scaleX(0.0000)");
    assert_eq!(format::scale_x(f64::NAN), "scaleX(0.0000)");
}

/// `encode` writes what `percent-encoding` wrote before it (`NON_ALPHANUMERIC` minus `-._~`).
fn oracle(value: &str) -> String {
    use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
    const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    utf8_percent_encode(value, QUERY_VALUE).to_string()
}

#[test]
fn query_values_are_encoded_as_percent_encoding_did() {
    use telemetry_core::endpoint::encode;
    let every_ascii: String = (0u8..128).map(char::from).collect();
    for value in [
        "",
        "plain-Name_1.png~",
        "my image&x=1#2+.png",
        "a/b c",
        "ünï 画像 🎨.webp",
        "%41",
        &every_ascii,
    ] {
        assert_eq!(encode(value), oracle(value), "{value:?}");
    }
    assert_eq!(encode("a b&ü"), "a%20b%26%C3%BC");
}

proptest::proptest! {
    #[test]
    fn any_query_value_is_encoded_as_percent_encoding_did(value in "\\PC*") {
        proptest::prop_assert_eq!(telemetry_core::endpoint::encode(&value), oracle(&value));
    }
}
