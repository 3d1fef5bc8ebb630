# -*- coding: utf-8 -*-

################################################################################
## Form generated from reading UI file 'verification_panel.ui'
##
## Created by: Qt User Interface Compiler version 6.11.3
##
## WARNING! All changes made in this file will be lost when recompiling UI file!
################################################################################

from PySide6.QtCore import (QCoreApplication, QDate, QDateTime, QLocale,
    QMetaObject, QObject, QPoint, QRect,
    QSize, QTime, QUrl, Qt)
from PySide6.QtGui import (QBrush, QColor, QConicalGradient, QCursor,
    QFont, QFontDatabase, QGradient, QIcon,
    QImage, QKeySequence, QLinearGradient, QPainter,
    QPalette, QPixmap, QRadialGradient, QTransform)
from PySide6.QtWidgets import (QApplication, QComboBox, QGridLayout, QGroupBox,
    QHBoxLayout, QLabel, QListWidget, QListWidgetItem,
    QProgressBar, QPushButton, QSizePolicy, QVBoxLayout,
    QWidget)

class Ui_VerificationPanel(object):
    def setupUi(self, VerificationPanel):
        if not VerificationPanel.objectName():
            VerificationPanel.setObjectName(u"VerificationPanel")
        VerificationPanel.resize(460, 560)
        self.verificationLayout = QVBoxLayout(VerificationPanel)
        self.verificationLayout.setObjectName(u"verificationLayout")
        self.gateFailedBanner = QLabel(VerificationPanel)
        self.gateFailedBanner.setObjectName(u"gateFailedBanner")
        self.gateFailedBanner.setWordWrap(True)
        self.gateFailedBanner.setVisible(False)

        self.verificationLayout.addWidget(self.gateFailedBanner)

        self.gateList = QListWidget(VerificationPanel)
        self.gateList.setObjectName(u"gateList")
        self.gateList.setMaximumSize(QSize(16777215, 100))

        self.verificationLayout.addWidget(self.gateList)

        self.actionsRow = QHBoxLayout()
        self.actionsRow.setObjectName(u"actionsRow")
        self.networkCheckButton = QPushButton(VerificationPanel)
        self.networkCheckButton.setObjectName(u"networkCheckButton")
        self.networkCheckButton.setEnabled(False)

        self.actionsRow.addWidget(self.networkCheckButton)

        self.faceButton = QPushButton(VerificationPanel)
        self.faceButton.setObjectName(u"faceButton")
        self.faceButton.setEnabled(False)

        self.actionsRow.addWidget(self.faceButton)

        self.livenessButton = QPushButton(VerificationPanel)
        self.livenessButton.setObjectName(u"livenessButton")
        self.livenessButton.setEnabled(False)

        self.actionsRow.addWidget(self.livenessButton)

        self.questionsButton = QPushButton(VerificationPanel)
        self.questionsButton.setObjectName(u"questionsButton")
        self.questionsButton.setEnabled(False)

        self.actionsRow.addWidget(self.questionsButton)


        self.verificationLayout.addLayout(self.actionsRow)

        self.networkRow = QHBoxLayout()
        self.networkRow.setObjectName(u"networkRow")
        self.portraitLabel = QLabel(VerificationPanel)
        self.portraitLabel.setObjectName(u"portraitLabel")
        self.portraitLabel.setMinimumSize(QSize(72, 90))
        self.portraitLabel.setMaximumSize(QSize(72, 90))
        self.portraitLabel.setAlignment(Qt.AlignmentFlag.AlignCenter)

        self.networkRow.addWidget(self.portraitLabel)

        self.networkLabel = QLabel(VerificationPanel)
        self.networkLabel.setObjectName(u"networkLabel")
        sizePolicy = QSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        sizePolicy.setHorizontalStretch(1)
        sizePolicy.setVerticalStretch(0)
        sizePolicy.setHeightForWidth(self.networkLabel.sizePolicy().hasHeightForWidth())
        self.networkLabel.setSizePolicy(sizePolicy)
        self.networkLabel.setWordWrap(True)

        self.networkRow.addWidget(self.networkLabel)


        self.verificationLayout.addLayout(self.networkRow)

        self.facesGrid = QGridLayout()
        self.facesGrid.setObjectName(u"facesGrid")
        self.idVsLiveLabel = QLabel(VerificationPanel)
        self.idVsLiveLabel.setObjectName(u"idVsLiveLabel")

        self.facesGrid.addWidget(self.idVsLiveLabel, 0, 0, 1, 1)

        self.idVsLiveBar = QProgressBar(VerificationPanel)
        self.idVsLiveBar.setObjectName(u"idVsLiveBar")
        self.idVsLiveBar.setMaximum(100)
        self.idVsLiveBar.setValue(0)
        self.idVsLiveBar.setFormat(u"-")
        self.idVsLiveBar.setProperty(u"faceBar", True)

        self.facesGrid.addWidget(self.idVsLiveBar, 0, 1, 1, 1)

        self.networkVsLiveLabel = QLabel(VerificationPanel)
        self.networkVsLiveLabel.setObjectName(u"networkVsLiveLabel")

        self.facesGrid.addWidget(self.networkVsLiveLabel, 1, 0, 1, 1)

        self.networkVsLiveBar = QProgressBar(VerificationPanel)
        self.networkVsLiveBar.setObjectName(u"networkVsLiveBar")
        self.networkVsLiveBar.setMaximum(100)
        self.networkVsLiveBar.setValue(0)
        self.networkVsLiveBar.setFormat(u"-")
        self.networkVsLiveBar.setProperty(u"faceBar", True)

        self.facesGrid.addWidget(self.networkVsLiveBar, 1, 1, 1, 1)

        self.idVsNetworkLabel = QLabel(VerificationPanel)
        self.idVsNetworkLabel.setObjectName(u"idVsNetworkLabel")

        self.facesGrid.addWidget(self.idVsNetworkLabel, 2, 0, 1, 1)

        self.idVsNetworkBar = QProgressBar(VerificationPanel)
        self.idVsNetworkBar.setObjectName(u"idVsNetworkBar")
        self.idVsNetworkBar.setMaximum(100)
        self.idVsNetworkBar.setValue(0)
        self.idVsNetworkBar.setFormat(u"-")
        self.idVsNetworkBar.setProperty(u"faceBar", True)

        self.facesGrid.addWidget(self.idVsNetworkBar, 2, 1, 1, 1)

        self.thresholdLabel = QLabel(VerificationPanel)
        self.thresholdLabel.setObjectName(u"thresholdLabel")

        self.facesGrid.addWidget(self.thresholdLabel, 3, 0, 1, 2)


        self.verificationLayout.addLayout(self.facesGrid)

        self.livenessLabel = QLabel(VerificationPanel)
        self.livenessLabel.setObjectName(u"livenessLabel")

        self.verificationLayout.addWidget(self.livenessLabel)

        self.questionsLabel = QLabel(VerificationPanel)
        self.questionsLabel.setObjectName(u"questionsLabel")

        self.verificationLayout.addWidget(self.questionsLabel)

        self.questionsList = QListWidget(VerificationPanel)
        self.questionsList.setObjectName(u"questionsList")
        self.questionsList.setMaximumSize(QSize(16777215, 90))

        self.verificationLayout.addWidget(self.questionsList)

        self.answerRow = QHBoxLayout()
        self.answerRow.setObjectName(u"answerRow")
        self.answerCombo = QComboBox(VerificationPanel)
        self.answerCombo.setObjectName(u"answerCombo")
        self.answerCombo.setEnabled(False)
        sizePolicy1 = QSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        sizePolicy1.setHorizontalStretch(1)
        sizePolicy1.setVerticalStretch(0)
        sizePolicy1.setHeightForWidth(self.answerCombo.sizePolicy().hasHeightForWidth())
        self.answerCombo.setSizePolicy(sizePolicy1)

        self.answerRow.addWidget(self.answerCombo)

        self.answerButton = QPushButton(VerificationPanel)
        self.answerButton.setObjectName(u"answerButton")
        self.answerButton.setEnabled(False)

        self.answerRow.addWidget(self.answerButton)


        self.verificationLayout.addLayout(self.answerRow)

#if QT_CONFIG(shortcut)
        self.questionsLabel.setBuddy(self.questionsList)
#endif // QT_CONFIG(shortcut)

        self.retranslateUi(VerificationPanel)

        QMetaObject.connectSlotsByName(VerificationPanel)
    # setupUi

    def retranslateUi(self, VerificationPanel):
        VerificationPanel.setTitle(QCoreApplication.translate("VerificationPanel", u"\u8eab\u4efd\u6838\u9a8c", None))
        self.gateFailedBanner.setText("")
        self.networkCheckButton.setText(QCoreApplication.translate("VerificationPanel", u"\u8054\u7f51\u6838\u67e5", u"button: start or retry the check"))
        self.faceButton.setText(QCoreApplication.translate("VerificationPanel", u"\u4eba\u8138\u6bd4\u5bf9", u"button: start or retry the check"))
        self.livenessButton.setText(QCoreApplication.translate("VerificationPanel", u"\u6d3b\u4f53\u68c0\u6d4b", u"button: start or retry the check"))
        self.questionsButton.setText(QCoreApplication.translate("VerificationPanel", u"\u79c1\u5bc6\u95ee\u9898", u"button: start or retry the check"))
        self.portraitLabel.setText(QCoreApplication.translate("VerificationPanel", u"\u8054\u7f51\u7167\u7247", None))
        self.networkLabel.setText(QCoreApplication.translate("VerificationPanel", u"\u8054\u7f51\u6838\u67e5:\u672a\u5f00\u59cb", None))
        self.idVsLiveLabel.setText(QCoreApplication.translate("VerificationPanel", u"\u8bc1\u4ef6\u7167 vs \u73b0\u573a", None))
        self.networkVsLiveLabel.setText(QCoreApplication.translate("VerificationPanel", u"\u8054\u7f51\u7167 vs \u73b0\u573a", None))
        self.idVsNetworkLabel.setText(QCoreApplication.translate("VerificationPanel", u"\u8bc1\u4ef6\u7167 vs \u8054\u7f51\u7167", None))
        self.thresholdLabel.setText("")
        self.livenessLabel.setText(QCoreApplication.translate("VerificationPanel", u"\u6d3b\u4f53\u68c0\u6d4b:\u672a\u5f00\u59cb", None))
        self.questionsLabel.setText(QCoreApplication.translate("VerificationPanel", u"\u79c1\u5bc6\u95ee\u9898", None))
        self.answerButton.setText(QCoreApplication.translate("VerificationPanel", u"\u8bb0\u5f55\u7b54\u6848", None))
    # retranslateUi

