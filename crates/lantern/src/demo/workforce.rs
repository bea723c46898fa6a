//! The demo workforce's shape: directorates and specialties, names, and the staff-group mix (ESR-like shares, job
//! roles, bands and how many are patient-facing).

use lantern_domain::*;

/// Directorates and their departments (specialties).
pub(super) const DIRECTORATES: &[(&str, &[&str])] = &[
    (
        "Medicine",
        &[
            "Cardiology",
            "Neurology",
            "Respiratory medicine",
            "Infectious diseases",
            "Elderly care",
            "Renal",
        ],
    ),
    (
        "Surgery and Critical Care",
        &["General surgery", "Critical care", "Anaesthetics"],
    ),
    (
        "Cancer and Clinical Haematology",
        &["Oncology", "Haematology"],
    ),
    (
        "Women's and Children's",
        &["Paediatrics", "Obstetrics and gynaecology", "Neonatology"],
    ),
    ("Urgent and Emergency Care", &["Emergency medicine"]),
    (
        "Clinical Support Services",
        &["Radiology", "Pathology", "Pharmacy", "Therapies"],
    ),
    (
        "Corporate Services",
        &[
            "Finance",
            "Human resources",
            "Digital services",
            "Estates and facilities",
        ],
    ),
];

pub(super) const GIVEN: &[&str] = &[
    "Amara", "Oliver", "Priya", "Kwame", "Sofia", "Mohammed", "Grace", "Daniel", "Aisha", "James",
    "Chloe", "Tunde", "Fatima", "Liam", "Mei", "Samuel", "Zainab", "Thomas", "Ananya", "Joseph",
    "Olivia", "Adebayo", "Hannah", "Ravi", "Emily", "Chinedu", "Isabella", "Arjun", "Ella",
    "Yusuf", "Niamh", "Kofi", "Maria", "Harry", "Leila", "Ibrahim", "Sarah", "Tomasz", "Ngozi",
    "Jack", "Ayesha", "Luca", "Esther", "Hassan", "Lucy", "Rohan", "Abena", "George",
];
pub(super) const FAMILY: &[&str] = &[
    "Okafor", "Smith", "Patel", "Mensah", "Jones", "Khan", "Williams", "Adeyemi", "Brown", "Begum",
    "Taylor", "Nguyen", "Ali", "Wilson", "Osei", "Evans", "Hussain", "Kowalski", "Thomas", "Chen",
    "Roberts", "Ahmed", "Johnson", "Singh", "Walker", "Boateng", "Wright", "Rahman", "Green",
    "Mahmood", "Hughes", "Owusu", "Clarke", "Shah", "Edwards", "Campbell", "Murphy", "Nowak",
    "Rossi", "Ibrahim", "Kaur", "Hall", "Afolabi", "Lewis", "Das", "Scott", "Martin",
];

/// (staff group, share in percent, job roles, bands, patient-facing share in percent)
pub(super) type GroupPlan = (
    StaffGroup,
    u32,
    &'static [&'static str],
    &'static [&'static str],
    u32,
);

pub(super) const GROUPS: &[GroupPlan] = &[
    (
        StaffGroup::NursingMidwiferyRegistered,
        27,
        &[
            "Staff nurse",
            "Sister",
            "Charge nurse",
            "Clinical nurse specialist",
            "Midwife",
        ],
        &["5", "6", "7"],
        95,
    ),
    (
        StaffGroup::AdditionalClinicalServices,
        20,
        &[
            "Healthcare assistant",
            "Nursing associate",
            "Maternity support worker",
        ],
        &["2", "3", "4"],
        95,
    ),
    (
        StaffGroup::AdministrativeClerical,
        22,
        &[
            "Ward clerk",
            "Medical secretary",
            "Administrator",
            "Finance officer",
            "HR adviser",
            "Data analyst",
            "Clinical safety officer",
            "Chief information officer",
        ],
        &["2", "3", "4", "5", "6", "8a"],
        10,
    ),
    (
        StaffGroup::MedicalDental,
        10,
        &[
            "Consultant",
            "Specialty registrar",
            "Core trainee",
            "Foundation doctor",
            "Chief clinical information officer",
        ],
        &[],
        95,
    ),
    (
        StaffGroup::AlliedHealthProfessionals,
        8,
        &[
            "Physiotherapist",
            "Occupational therapist",
            "Radiographer",
            "Paramedic",
            "Dietitian",
            "Clinical educator",
        ],
        &["5", "6", "7"],
        90,
    ),
    (
        StaffGroup::AddProfScientificTechnical,
        6,
        &["Pharmacist", "Pharmacy technician", "Data scientist"],
        &["5", "6", "7", "8a"],
        50,
    ),
    (
        StaffGroup::EstatesAncillary,
        5,
        &[
            "Porter",
            "Domestic assistant",
            "Catering assistant",
            "Estates technician",
        ],
        &["1", "2", "3"],
        40,
    ),
    (
        StaffGroup::HealthcareScientists,
        2,
        &["Biomedical scientist", "Clinical scientist"],
        &["5", "6", "7"],
        20,
    ),
];
