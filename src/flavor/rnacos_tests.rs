//! Unit tests of `rnacos`.
use super::*;
use crate::flavor::Membership;
use std::net::Ipv4Addr;

fn node(i: usize, last: u8) -> NodeIdentity {
    NodeIdentity {
        index: i,
        hostname: format!("n{i}"),
        ip: Ipv4Addr::new(10, 1, 2, last),
    }
}

fn answer(status: u16, body: &str) -> HttpAnswer {
    HttpAnswer {
        path: "/nacos/v1/raft/metrics".into(),
        status,
        body: body.into(),
    }
}

#[test]
fn parses_leader_metrics() {
    let body = r#"{"id":1,"state":"Leader","current_term":3,"last_log_index":12,"last_applied":12,"current_leader":1,"membership_config":{"members":[2,1,3],"members_after_consensus":null}}"#;
    let v = RNacos
        .parse_raft("0.8.8", &node(1, 11), &[answer(200, body)])
        .unwrap();
    assert_eq!(v[0].role, Role::Leader);
    assert_eq!(v[0].term, Some(3));
    assert_eq!(v[0].leader.as_deref(), Some("1"));
    assert_eq!(v[0].members, vec!["1", "2", "3"]);
}

#[test]
fn leaderless_candidate_has_no_leader() {
    let body = r#"{"id":2,"state":"Candidate","current_term":6,"current_leader":null,"membership_config":{"members":[1,2,3]}}"#;
    let v = RNacos
        .parse_raft("0.8.8", &node(2, 12), &[answer(200, body)])
        .unwrap();
    assert_eq!(v[0].role, Role::Candidate);
    assert_eq!(v[0].leader, None);
}

#[test]
fn bad_answers_are_errors_naming_the_node() {
    let e = RNacos
        .parse_raft("0.5.13", &node(1, 11), &[answer(404, "")])
        .unwrap_err();
    assert!(e.to_string().contains("n1") && e.to_string().contains("0.6"));
    let e = RNacos
        .parse_raft("0.8.8", &node(1, 11), &[answer(200, "<html>")])
        .unwrap_err();
    assert!(e.to_string().contains("not raft metrics JSON"));
}

#[test]
fn console_list_of_older_versions_is_parsed() {
    let body = r#"{"success":true,"data":[{"nodeId":1,"addr":"a:9848","currentNode":false,"raftLeader":true,"distroValid":true},{"nodeId":2,"addr":"b:9848","currentNode":true,"raftLeader":false,"distroValid":true}]}"#;
    let a = HttpAnswer {
        path: CONSOLE_NODES.into(),
        status: 200,
        body: body.into(),
    };
    let v = RNacos.parse_raft("0.5.13", &node(2, 12), &[a]).unwrap();
    assert_eq!(v[0].role, Role::Follower);
    assert_eq!(v[0].leader.as_deref(), Some("1"));
    assert_eq!(v[0].term, None);
    assert_eq!(v[0].members, vec!["1", "2"]);
    let none = r#"{"success":true,"data":[{"nodeId":2,"currentNode":true,"raftLeader":false}]}"#;
    let a = HttpAnswer {
        path: CONSOLE_NODES.into(),
        status: 200,
        body: none.into(),
    };
    let v = RNacos.parse_raft("0.5.13", &node(2, 12), &[a]).unwrap();
    assert_eq!(
        (v[0].role.clone(), v[0].leader.clone()),
        (Role::Unknown, None)
    );
    let bad = HttpAnswer {
        path: CONSOLE_NODES.into(),
        status: 401,
        body: "no".into(),
    };
    let e = RNacos
        .parse_raft("0.5.13", &node(2, 12), &[bad])
        .unwrap_err()
        .to_string();
    assert!(e.contains("NO_AUTH_CONSOLE"), "{e}");
    assert_eq!(
        RNacos.raft_paths("0.5.13").last().map(String::as_str),
        Some(CONSOLE_NODES)
    );
    // A 404 on metrics next to a console answer uses the console answer.
    let m404 = HttpAnswer {
        path: "/nacos/v1/raft/metrics".into(),
        status: 404,
        body: String::new(),
    };
    let ok = HttpAnswer {
        path: CONSOLE_NODES.into(),
        status: 200,
        body: body.into(),
    };
    let v = RNacos
        .parse_raft("0.5.13", &node(2, 12), &[m404, ok])
        .unwrap();
    assert_eq!(v[0].leader.as_deref(), Some("1"));
}

#[test]
fn render_bootstrap_and_join() {
    let members: Vec<_> = (1..=3).map(|i| node(i, 10 + i as u8)).collect();
    let m = Membership {
        mode: IdentityMode::Ip,
        members: members.clone(),
        naming: Default::default(),
    };
    let boot = RenderCtx {
        node: &members[0],
        membership: &m,
        version: "0.8.8",
        join: None,
        tuning: &[],
    };
    let spec = RNacos.render(&boot).unwrap();
    assert!(
        spec.env
            .contains(&("RNACOS_RAFT_AUTO_INIT".into(), "true".into()))
    );
    assert!(
        spec.env
            .contains(&("RNACOS_RAFT_NODE_ADDR".into(), "10.1.2.11:9848".into()))
    );
    let join = RenderCtx {
        node: &members[1],
        membership: &m,
        version: "0.8.8",
        join: Some(&members[0]),
        tuning: &[],
    };
    let spec = RNacos.render(&join).unwrap();
    assert!(
        spec.env
            .contains(&("RNACOS_RAFT_JOIN_ADDR".into(), "10.1.2.11:9848".into()))
    );
    let hm = Membership {
        mode: IdentityMode::Hostname,
        members,
        naming: Default::default(),
    };
    let h = RenderCtx {
        node: &hm.members[2],
        membership: &hm,
        version: "0.8.8",
        join: Some(&hm.members[0]),
        tuning: &[],
    };
    let spec = RNacos.render(&h).unwrap();
    assert!(
        spec.env
            .contains(&("RNACOS_RAFT_NODE_ADDR".into(), "n3:9848".into()))
    );
    assert!(
        spec.env
            .contains(&("RNACOS_RAFT_JOIN_ADDR".into(), "n1:9848".into()))
    );
}

#[test]
fn unknown_tuning_is_refused() {
    let members = vec![node(1, 11)];
    let m = Membership {
        mode: IdentityMode::Ip,
        members: members.clone(),
        naming: Default::default(),
    };
    let t = vec![("election_timeout_ms".to_string(), "100".to_string())];
    let ctx = RenderCtx {
        node: &members[0],
        membership: &m,
        version: "0.8.8",
        join: None,
        tuning: &t,
    };
    assert!(matches!(
        RNacos.render(&ctx),
        Err(Error::Unsupported { .. })
    ));
}

#[test]
fn boot_membership_is_read_from_the_index_file_of_0_5_and_later() {
    assert_eq!(
        RNacos.boot_membership_file("0.8.8").as_deref(),
        Some("/data/index")
    );
    assert_eq!(
        RNacos.boot_membership_file("v0.5.13").as_deref(),
        Some("/data/index")
    );
    assert_eq!(RNacos.boot_membership_file("0.4.3"), None);
    // [last_applied u64 BE][len][RaftIndex]: members [3,1], after-consensus [2]
    let mut f = 9u64.to_be_bytes().to_vec();
    let msg = [0x4a, 2, 3, 1, 0x52, 1, 2];
    f.push(msg.len() as u8);
    f.extend_from_slice(&msg);
    f.extend_from_slice(&[0u8; 16]);
    assert_eq!(
        RNacos.decode_boot_membership(&f).unwrap(),
        Some(vec!["1".to_string(), "2".into(), "3".into()])
    );
    assert_eq!(RNacos.decode_boot_membership(&[0u8; 8]).unwrap(), None);
    let mut torn = 9u64.to_be_bytes().to_vec();
    torn.extend_from_slice(&[40, 0x4a, 2, 3]);
    torn.extend_from_slice(&[0u8; 10]);
    assert!(RNacos.decode_boot_membership(&torn).is_err());
}

#[test]
fn capabilities_say_nodes_join_and_config_goes_through_raft() {
    let c = RNacos.capabilities();
    // Bring-up starts node 1, then joins the others to it (RNACOS_RAFT_JOIN_ADDR).
    assert!(c.joins);
    assert!(c.raft_config && !c.raft_naming && c.grpc);
}

#[test]
fn term_zero_is_no_term_claim_and_term_one_is() {
    // What r-nacos serves before its Raft state is loaded, just after a (re)start.
    let body = r#"{"id":2,"state":"Follower","current_term":0,"current_leader":null,"membership_config":{"members":[2]}}"#;
    let term = |body: &str| {
        RNacos
            .parse_raft("0.8.8", &node(2, 12), &[answer(200, body)])
            .unwrap()[0]
            .term
    };
    assert_eq!(term(body), None);
    assert_eq!(
        term(&body.replace(r#""current_term":0"#, r#""current_term":1"#)),
        Some(1)
    );
}
