// The 118 chemical elements (IUPAC names and symbols, atomic numbers, groups 1–18) embedded for the demo world.
namespace ExpertMix.Cli.Demo;

/// <summary>One element: atomic number Z, symbol, IUPAC English name and group (null for the f-block series).</summary>
/// <param name="Number">Atomic number Z (1–118).</param>
/// <param name="Symbol">Chemical symbol, e.g. <c>Na</c>.</param>
/// <param name="Name">IUPAC English name, capitalised, e.g. <c>Sodium</c> (IUPAC spellings: Aluminium, Sulfur, Caesium).</param>
/// <param name="Group">Group 1–18 of the 18-column table; null for lanthanum–lutetium (57–71) and actinium–lawrencium (89–103).</param>
internal sealed record Element(int Number, string Symbol, string Name, int? Group);

/// <summary>
/// The periodic table, ordered by atomic number (<c>Elements[i].Number == i + 1</c>). The lanthanides and actinides
/// (57–71, 89–103) have no group here: textbooks disagree on whether La/Ac or Lu/Lr sit in group 3, so the demo asks
/// group questions only for the other elements.
/// </summary>
internal static class PeriodicTable
{
    /// <summary>All 118 elements, index = Z − 1.</summary>
    public static IReadOnlyList<Element> Elements { get; } =
    [
        new(1, "H", "Hydrogen", 1), new(2, "He", "Helium", 18),
        new(3, "Li", "Lithium", 1), new(4, "Be", "Beryllium", 2), new(5, "B", "Boron", 13), new(6, "C", "Carbon", 14),
        new(7, "N", "Nitrogen", 15), new(8, "O", "Oxygen", 16), new(9, "F", "Fluorine", 17), new(10, "Ne", "Neon", 18),
        new(11, "Na", "Sodium", 1), new(12, "Mg", "Magnesium", 2), new(13, "Al", "Aluminium", 13), new(14, "Si", "Silicon", 14),
        new(15, "P", "Phosphorus", 15), new(16, "S", "Sulfur", 16), new(17, "Cl", "Chlorine", 17), new(18, "Ar", "Argon", 18),
        new(19, "K", "Potassium", 1), new(20, "Ca", "Calcium", 2), new(21, "Sc", "Scandium", 3), new(22, "Ti", "Titanium", 4),
        new(23, "V", "Vanadium", 5), new(24, "Cr", "Chromium", 6), new(25, "Mn", "Manganese", 7), new(26, "Fe", "Iron", 8),
        new(27, "Co", "Cobalt", 9), new(28, "Ni", "Nickel", 10), new(29, "Cu", "Copper", 11), new(30, "Zn", "Zinc", 12),
        new(31, "Ga", "Gallium", 13), new(32, "Ge", "Germanium", 14), new(33, "As", "Arsenic", 15), new(34, "Se", "Selenium", 16),
        new(35, "Br", "Bromine", 17), new(36, "Kr", "Krypton", 18),
        new(37, "Rb", "Rubidium", 1), new(38, "Sr", "Strontium", 2), new(39, "Y", "Yttrium", 3), new(40, "Zr", "Zirconium", 4),
        new(41, "Nb", "Niobium", 5), new(42, "Mo", "Molybdenum", 6), new(43, "Tc", "Technetium", 7), new(44, "Ru", "Ruthenium", 8),
        new(45, "Rh", "Rhodium", 9), new(46, "Pd", "Palladium", 10), new(47, "Ag", "Silver", 11), new(48, "Cd", "Cadmium", 12),
        new(49, "In", "Indium", 13), new(50, "Sn", "Tin", 14), new(51, "Sb", "Antimony", 15), new(52, "Te", "Tellurium", 16),
        new(53, "I", "Iodine", 17), new(54, "Xe", "Xenon", 18),
        new(55, "Cs", "Caesium", 1), new(56, "Ba", "Barium", 2),
        new(57, "La", "Lanthanum", null), new(58, "Ce", "Cerium", null), new(59, "Pr", "Praseodymium", null), new(60, "Nd", "Neodymium", null),
        new(61, "Pm", "Promethium", null), new(62, "Sm", "Samarium", null), new(63, "Eu", "Europium", null), new(64, "Gd", "Gadolinium", null),
        new(65, "Tb", "Terbium", null), new(66, "Dy", "Dysprosium", null), new(67, "Ho", "Holmium", null), new(68, "Er", "Erbium", null),
        new(69, "Tm", "Thulium", null), new(70, "Yb", "Ytterbium", null), new(71, "Lu", "Lutetium", null),
        new(72, "Hf", "Hafnium", 4), new(73, "Ta", "Tantalum", 5), new(74, "W", "Tungsten", 6), new(75, "Re", "Rhenium", 7),
        new(76, "Os", "Osmium", 8), new(77, "Ir", "Iridium", 9), new(78, "Pt", "Platinum", 10), new(79, "Au", "Gold", 11),
        new(80, "Hg", "Mercury", 12), new(81, "Tl", "Thallium", 13), new(82, "Pb", "Lead", 14), new(83, "Bi", "Bismuth", 15),
        new(84, "Po", "Polonium", 16), new(85, "At", "Astatine", 17), new(86, "Rn", "Radon", 18),
        new(87, "Fr", "Francium", 1), new(88, "Ra", "Radium", 2),
        new(89, "Ac", "Actinium", null), new(90, "Th", "Thorium", null), new(91, "Pa", "Protactinium", null), new(92, "U", "Uranium", null),
        new(93, "Np", "Neptunium", null), new(94, "Pu", "Plutonium", null), new(95, "Am", "Americium", null), new(96, "Cm", "Curium", null),
        new(97, "Bk", "Berkelium", null), new(98, "Cf", "Californium", null), new(99, "Es", "Einsteinium", null), new(100, "Fm", "Fermium", null),
        new(101, "Md", "Mendelevium", null), new(102, "No", "Nobelium", null), new(103, "Lr", "Lawrencium", null),
        new(104, "Rf", "Rutherfordium", 4), new(105, "Db", "Dubnium", 5), new(106, "Sg", "Seaborgium", 6), new(107, "Bh", "Bohrium", 7),
        new(108, "Hs", "Hassium", 8), new(109, "Mt", "Meitnerium", 9), new(110, "Ds", "Darmstadtium", 10), new(111, "Rg", "Roentgenium", 11),
        new(112, "Cn", "Copernicium", 12), new(113, "Nh", "Nihonium", 13), new(114, "Fl", "Flerovium", 14), new(115, "Mc", "Moscovium", 15),
        new(116, "Lv", "Livermorium", 16), new(117, "Ts", "Tennessine", 17), new(118, "Og", "Oganesson", 18),
    ];

    /// <summary>The element with symbol <paramref name="symbol"/> (case-sensitive), or null.</summary>
    public static Element? BySymbol(string symbol) => Elements.FirstOrDefault(e => e.Symbol == symbol);
}
