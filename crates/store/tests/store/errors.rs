//! Error messages meant for end users.

use cthub_store::StoreError;

#[test]
fn unreachable_postgres_says_where_and_what_to_do_without_the_password() {
    // Port 1 on localhost: nothing listens there.
    let err = match cthub_store::open("postgres://alice:s3cr3t-pw@127.0.0.1:1/cthub") {
        Ok(_) => panic!("connected to port 1?"),
        Err(e) => e,
    };
    assert!(matches!(err, StoreError::Connect { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.starts_with("cannot connect to PostgreSQL at 127.0.0.1:1: "),
        "{msg}"
    );
    assert!(msg.contains("refused"), "the cause is given: {msg}");
    eprintln!("{msg}");
    assert!(msg.contains("CTHUB_DATABASE_URL"), "{msg}");
    assert!(!msg.contains("s3cr3t"), "{msg}");
    assert!(!format!("{err:?}").contains("s3cr3t"));
}

#[test]
fn invalid_postgres_urls_are_refused_without_the_password() {
    let err = match cthub_store::open("postgresql://bob:hunter2@db:notaport/x") {
        Ok(_) => panic!("accepted a bad port"),
        Err(e) => e,
    };
    let msg = err.to_string();
    assert!(
        msg.contains("invalid PostgreSQL location postgresql://bob@db:notaport/x"),
        "{msg}"
    );
    assert!(!msg.contains("hunter2"), "{msg}");
    let err = match cthub_store::open("postgres://db/x?schema=Bad-Name") {
        Ok(_) => panic!("accepted a bad schema"),
        Err(e) => e,
    };
    assert!(matches!(err, StoreError::InvalidSchema(_)), "{err:?}");
}

#[test]
fn sqlite_open_errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let missing_dir = dir.path().join("no/such/dir/cthub.db");
    let err = match cthub_store::open(missing_dir.to_str().unwrap()) {
        Ok(_) => panic!("opened a database in a missing directory"),
        Err(e) => e,
    };
    let msg = err.to_string();
    assert!(
        msg.starts_with(&format!("cannot open database {}: ", missing_dir.display())),
        "{msg}"
    );

    let not_db = dir.path().join("notes.txt");
    std::fs::write(&not_db, "this is not a database, just some text that is long enough to have a header ......................................................").unwrap();
    let err = match cthub_store::open(not_db.to_str().unwrap()) {
        Ok(_) => panic!("opened a text file as a database"),
        Err(e) => e,
    };
    let msg = err.to_string();
    assert!(msg.starts_with("cannot open database "), "{msg}");
    assert!(msg.contains("not a database"), "{msg}");
}

#[test]
fn sqlite_location_is_the_path_and_new_files_are_created() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("fresh.db");
    let s = cthub_store::open(p.to_str().unwrap()).unwrap();
    assert_eq!(s.backend(), "sqlite");
    assert_eq!(s.location(), p.to_str().unwrap());
    assert!(p.exists());
}
